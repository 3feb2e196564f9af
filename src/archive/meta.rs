//! What Imgur said about a saved image, kept beside it in the archive so the library can
//! show and search it.

use serde::{Deserialize, Serialize};

/// What the API said about an image (and the album it came in). Everything is optional:
/// a direct link has none of it, and Imgur leaves most fields null on most images.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageMeta {
    pub title: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    /// The account that posted it.
    pub account: Option<String>,
    /// When it was posted, in Unix seconds.
    pub datetime: Option<i64>,
    pub album_id: Option<String>,
    pub album_title: Option<String>,
    pub views: Option<u64>,
    pub nsfw: Option<bool>,
}

impl ImageMeta {
    pub fn is_empty(&self) -> bool {
        *self == ImageMeta::default()
    }

    /// The text a filter box matches against: title, description, tags, album title and
    /// account, lower-cased, one per line.
    pub fn search_text(&self) -> String {
        let mut parts: Vec<&str> = Vec::new();
        parts.extend(self.title.as_deref());
        parts.extend(self.description.as_deref());
        parts.extend(self.tags.iter().map(String::as_str));
        parts.extend(self.album_title.as_deref());
        parts.extend(self.album_id.as_deref());
        parts.extend(self.account.as_deref());
        parts.join("\n").to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_holds_every_words_field() {
        let meta = ImageMeta {
            title: Some("Sunset".into()),
            tags: vec!["Beach".into(), "sea".into()],
            album_title: Some("Holiday".into()),
            account: Some("ana".into()),
            ..Default::default()
        };
        let text = meta.search_text();
        for word in ["sunset", "beach", "sea", "holiday", "ana"] {
            assert!(text.contains(word), "{word} in {text}");
        }
        assert!(ImageMeta::default().is_empty());
        assert!(!meta.is_empty());
    }
}
