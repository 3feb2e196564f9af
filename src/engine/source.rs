//! Gallery sources: what a user names ("r/earthporn", an album URL, "search:cats") and the
//! Imgur API path each one lists.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Gallery section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Section {
    #[default]
    Hot,
    Top,
    User,
}

/// Gallery sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Sort {
    #[default]
    Viral,
    Top,
    Time,
    Rising,
}

/// Time window for `top` sorts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Window {
    #[default]
    Day,
    Week,
    Month,
    Year,
    All,
}

macro_rules! keyword_enum {
    ($ty:ident { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $word),+ }
            }
        }
        impl FromStr for $ty {
            type Err = SourceError;
            fn from_str(word: &str) -> Result<Self, SourceError> {
                match word.to_ascii_lowercase().as_str() {
                    $($word => Ok($ty::$variant),)+
                    _ => Err(SourceError::Keyword {
                        kind: stringify!($ty),
                        word: word.to_owned(),
                        allowed: [$($word),+].join("|"),
                    }),
                }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

keyword_enum!(Section { Hot => "hot", Top => "top", User => "user" });
keyword_enum!(Sort { Viral => "viral", Top => "top", Time => "time", Rising => "rising" });
keyword_enum!(Window { Day => "day", Week => "week", Month => "month", Year => "year", All => "all" });

/// What to list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    Gallery {
        section: Section,
        sort: Sort,
        window: Window,
    },
    Subreddit {
        name: String,
        sort: Sort,
        window: Window,
    },
    Album {
        id: String,
    },
    /// One gallery post (`imgur.com/gallery/...`): an album or a single image.
    Post {
        id: String,
    },
    Search {
        query: String,
        sort: Sort,
        window: Window,
    },
    Random,
    /// A user's submissions (`imgur.com/user/NAME`).
    User {
        name: String,
    },
    /// A user's gallery favorites (`imgur.com/user/NAME/favorites`).
    Favorites {
        name: String,
    },
    /// A tag's gallery (`imgur.com/t/TAG`); Imgur answers its items under `data.items`.
    Tag {
        name: String,
        sort: Sort,
        window: Window,
    },
    /// One image: its page `imgur.com/ID` or a direct link `i.imgur.com/ID.ext`, asked
    /// for through `/3/image/ID` so the original is saved, never a size-suffixed thumbnail.
    Image {
        id: String,
    },
}

impl Default for Source {
    fn default() -> Self {
        Source::Gallery { section: Section::Hot, sort: Sort::Viral, window: Window::Day }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("unknown {kind} '{word}' (expected {allowed})")]
    Keyword { kind: &'static str, word: String, allowed: String },
    #[error(
        "'{0}' is not an Imgur source galley knows. Paste an imgur.com link to a gallery post, an album (imgur.com/a/...), a user (imgur.com/user/NAME, or .../favorites), a tag (imgur.com/t/TAG), a subreddit (imgur.com/r/NAME), an image page (imgur.com/ID) or a direct image link (i.imgur.com/ID.jpg); or a short form: hot/viral/day, r/NAME, album/ID, user/NAME, t/TAG, image/ID, search:WORDS"
    )]
    Unrecognised(String),
    #[error("'{0}' is not a valid {1}: letters, digits and _ only")]
    BadName(String, &'static str),
}

/// Imgur ids and subreddit names are short runs of letters, digits and `_`; checking this
/// keeps anything else out of the API path.
fn check_name(name: &str, what: &'static str) -> Result<String, SourceError> {
    let valid = !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid { Ok(name.to_owned()) } else { Err(SourceError::BadName(name.to_owned(), what)) }
}

impl Source {
    /// A user's posts; `name` as Imgur spells it (letters, digits and `_`).
    pub fn user(name: &str) -> Result<Source, SourceError> {
        Ok(Source::User { name: check_name(name.trim(), "user name")? })
    }

    /// A tag's gallery.
    pub fn tag(name: &str, sort: Sort, window: Window) -> Result<Source, SourceError> {
        Ok(Source::Tag { name: check_name(name.trim(), "tag")?, sort, window })
    }

    /// A subreddit's gallery (`aww` or `r/aww`).
    pub fn subreddit(name: &str, sort: Sort, window: Window) -> Result<Source, SourceError> {
        let name = name.trim();
        Ok(Source::Subreddit { name: check_name(name.strip_prefix("r/").unwrap_or(name), "subreddit")?, sort, window })
    }

    /// A search of the gallery for `query`, newest first (as `search:WORDS` is).
    pub fn search(query: &str) -> Result<Source, SourceError> {
        match query.trim() {
            "" => Err(SourceError::Unrecognised("search:".to_owned())),
            query => Ok(Source::Search { query: query.to_owned(), sort: Sort::Time, window: Window::All }),
        }
    }

    /// The API path of page `page` (0-based), without the host.
    pub fn api_path(&self, page: u32) -> String {
        match self {
            Source::Gallery { section, sort, window } => {
                format!("/3/gallery/{section}/{sort}/{window}/{page}")
            }
            Source::Subreddit { name, sort, window } => {
                format!("/3/gallery/r/{name}/{sort}/{window}/{page}")
            }
            Source::Search { sort, window, .. } => format!("/3/gallery/search/{sort}/{window}/{page}"),
            Source::Album { id } => format!("/3/album/{id}/images"),
            Source::Post { id } => format!("/3/gallery/{id}"),
            Source::Random => format!("/3/gallery/random/random/{page}"),
            Source::User { name } => format!("/3/account/{name}/submissions/{page}"),
            Source::Favorites { name } => format!("/3/account/{name}/gallery_favorites/{page}"),
            Source::Tag { name, sort, window } => format!("/3/gallery/t/{name}/{sort}/{window}/{page}"),
            Source::Image { id } => format!("/3/image/{id}"),
        }
    }

    /// Query parameters of the API request.
    pub fn query(&self) -> Vec<(&'static str, String)> {
        match self {
            Source::Search { query, .. } => vec![("q", query.clone())],
            _ => Vec::new(),
        }
    }

    /// Albums and posts have one "page": listing them again would only repeat it.
    pub fn is_paged(&self) -> bool {
        !matches!(self, Source::Album { .. } | Source::Post { .. } | Source::Image { .. })
    }

    fn parse_url(text: &str) -> Result<Source, SourceError> {
        let unrecognised = || SourceError::Unrecognised(text.to_owned());
        let with_scheme = if text.contains("://") { text.to_owned() } else { format!("https://{text}") };
        let url = url::Url::parse(&with_scheme).map_err(|_| unrecognised())?;
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let host = host.trim_start_matches("www.").trim_start_matches("m.");
        // Query strings and fragments (?share=1, #comments) say nothing about what to list.
        let segments: Vec<&str> =
            url.path_segments().map(|s| s.filter(|s| !s.is_empty()).collect()).unwrap_or_default();
        match host {
            "i.imgur.com" => match segments.as_slice() {
                [file] => Ok(Source::Image { id: direct_link_id(file).ok_or_else(unrecognised)? }),
                _ => Err(unrecognised()),
            },
            "imgur.com" | "imgur.io" => Source::from_imgur_path(&segments).ok_or_else(unrecognised)?,
            _ => Err(unrecognised()),
        }
    }

    /// The source an imgur.com path names; `None` when it names none galley knows.
    fn from_imgur_path(segments: &[&str]) -> Option<Result<Source, SourceError>> {
        // New gallery and album URLs end in "-<id>" after a title slug.
        let slug_id = |slug: &str| slug.rsplit('-').next().unwrap_or(slug).to_owned();
        Some(match segments {
            // A gallery post may be an album or a single image, so it is asked for as a post.
            ["gallery", slug, ..] => check_name(&slug_id(slug), "gallery id").map(|id| Source::Post { id }),
            ["a", slug, ..] => check_name(&slug_id(slug), "album id").map(|id| Source::Album { id }),
            ["r", name, ..] => check_name(name, "subreddit").map(|name| Source::Subreddit {
                name,
                sort: Sort::Time,
                window: Window::Day,
            }),
            ["user", name, "favorites", ..] => check_name(name, "user name").map(|name| Source::Favorites { name }),
            ["user", name] | ["user", name, "posts" | "submitted", ..] => {
                check_name(name, "user name").map(|name| Source::User { name })
            }
            ["t", tag, ..] => {
                check_name(tag, "tag").map(|name| Source::Tag { name, sort: Sort::Viral, window: Window::Week })
            }
            [] | ["hot"] => Ok(Source::default()),
            // An image page: imgur.com/ID (ids are 5 or 7 characters), perhaps with an extension.
            [page] => Ok(Source::Image { id: direct_link_id(page)? }),
            _ => return None,
        })
    }
}

/// Imgur names a thumbnail of an image by adding one letter to its id.
pub(crate) const SIZE_SUFFIXES: [char; 6] = ['s', 'b', 't', 'm', 'l', 'h'];

/// The image id in a direct link's file name (`ID.jpg`, `IDm.jpg` for a thumbnail of
/// it) or an image page's path segment: ids are 5 or 7 letters and digits, so a 6- or
/// 8-character name ending in a size letter is a thumbnail and the letter is dropped.
pub fn direct_link_id(file: &str) -> Option<String> {
    let stem = file.split_once('.').map_or(file, |(stem, _)| stem);
    if !stem.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    match stem.len() {
        5 | 7 => Some(stem.to_owned()),
        6 | 8 if stem.ends_with(SIZE_SUFFIXES) => Some(stem[..stem.len() - 1].to_owned()),
        _ => None,
    }
}

impl FromStr for Source {
    type Err = SourceError;

    /// Accepts `hot/viral/day` (any section/sort/window, trailing parts optional),
    /// `r/<subreddit>[/sort[/window]]`, `album/<id>`, `gallery/<id>`, `search:<query>`, `random`, and
    /// imgur.com gallery, album and subreddit URLs.
    fn from_str(text: &str) -> Result<Source, SourceError> {
        let text = text.trim();
        if let Some(query) = text.strip_prefix("search:") {
            let query = query.trim();
            if query.is_empty() {
                return Err(SourceError::Unrecognised(text.to_owned()));
            }
            return Ok(Source::Search { query: query.to_owned(), sort: Sort::Time, window: Window::All });
        }
        let lower = text.to_ascii_lowercase();
        if lower.contains("imgur.com") || lower.contains("imgur.io") {
            return Source::parse_url(text);
        }
        let parts: Vec<&str> = text.split('/').filter(|p| !p.is_empty()).collect();
        match parts.as_slice() {
            ["random"] | ["random", "random"] => Ok(Source::Random),
            ["album" | "a", id] => Ok(Source::Album { id: check_name(id, "album id")? }),
            ["gallery", id] => Ok(Source::Post { id: check_name(id, "gallery id")? }),
            ["image", id] => Ok(Source::Image { id: check_name(id, "image id")? }),
            ["user", name, "favorites"] => Ok(Source::Favorites { name: check_name(name, "user name")? }),
            // `user/<sort>[/<window>]` is the gallery's user section; `user/NAME` a user.
            ["user", name] if name.parse::<Sort>().is_err() => {
                Ok(Source::User { name: check_name(name, "user name")? })
            }
            ["t", tag, rest @ ..] if rest.len() <= 2 => Ok(Source::Tag {
                name: check_name(tag, "tag")?,
                sort: rest.first().map(|s| s.parse()).transpose()?.unwrap_or(Sort::Viral),
                window: rest.get(1).map(|w| w.parse()).transpose()?.unwrap_or(Window::Week),
            }),
            ["r", name, rest @ ..] if rest.len() <= 2 => Ok(Source::Subreddit {
                name: check_name(name, "subreddit")?,
                sort: rest.first().map(|s| s.parse()).transpose()?.unwrap_or(Sort::Time),
                window: rest.get(1).map(|w| w.parse()).transpose()?.unwrap_or(Window::Day),
            }),
            [section, rest @ ..] if rest.len() <= 2 => {
                let section: Section = section.parse().map_err(|_| SourceError::Unrecognised(text.to_owned()))?;
                Ok(Source::Gallery {
                    section,
                    sort: rest.first().map(|s| s.parse()).transpose()?.unwrap_or_default(),
                    window: rest.get(1).map(|w| w.parse()).transpose()?.unwrap_or_default(),
                })
            }
            _ => Err(SourceError::Unrecognised(text.to_owned())),
        }
    }
}

impl fmt::Display for Source {
    /// The same text `from_str` accepts, so a source round-trips through settings and logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Gallery { section, sort, window } => write!(f, "{section}/{sort}/{window}"),
            Source::Subreddit { name, sort, window } => write!(f, "r/{name}/{sort}/{window}"),
            Source::Album { id } => write!(f, "album/{id}"),
            Source::Post { id } => write!(f, "gallery/{id}"),
            Source::Search { query, .. } => write!(f, "search:{query}"),
            Source::Random => f.write_str("random"),
            Source::User { name } => write!(f, "user/{name}"),
            Source::Favorites { name } => write!(f, "user/{name}/favorites"),
            Source::Tag { name, sort, window } => write!(f, "t/{name}/{sort}/{window}"),
            Source::Image { id } => write!(f, "image/{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_form() {
        let cases = [
            ("hot/viral/day", "/3/gallery/hot/viral/day/0"),
            ("top/top/week", "/3/gallery/top/top/week/0"),
            ("user", "/3/gallery/user/viral/day/0"),
            ("r/earthporn", "/3/gallery/r/earthporn/time/day/0"),
            ("r/earthporn/top/all", "/3/gallery/r/earthporn/top/all/0"),
            ("album/AbC12", "/3/album/AbC12/images"),
            ("search:cats", "/3/gallery/search/time/all/0"),
            ("random", "/3/gallery/random/random/0"),
            ("https://imgur.com/gallery/some-title-XyZ123", "/3/gallery/XyZ123"),
            ("gallery/XyZ123", "/3/gallery/XyZ123"),
            ("https://imgur.com/a/XyZ123", "/3/album/XyZ123/images"),
            ("imgur.com/r/pics", "/3/gallery/r/pics/time/day/0"),
            ("user/someone", "/3/account/someone/submissions/0"),
            ("user/someone/favorites", "/3/account/someone/gallery_favorites/0"),
            ("user/top/week", "/3/gallery/user/top/week/0"),
            ("t/cats", "/3/gallery/t/cats/viral/week/0"),
            ("t/cats/top/all", "/3/gallery/t/cats/top/all/0"),
            ("image/AbCdE12", "/3/image/AbCdE12"),
            ("https://imgur.com/user/someone", "/3/account/someone/submissions/0"),
            ("imgur.com/user/someone/posts", "/3/account/someone/submissions/0"),
            ("https://m.imgur.com/user/someone/favorites?sort=new", "/3/account/someone/gallery_favorites/0"),
            ("http://www.imgur.com/t/cats#top", "/3/gallery/t/cats/viral/week/0"),
            ("imgur.io/t/cats", "/3/gallery/t/cats/viral/week/0"),
            ("https://imgur.com/AbCdE12", "/3/image/AbCdE12"),
            ("imgur.com/AbCdE", "/3/image/AbCdE"),
            ("https://i.imgur.com/AbCdE12.jpg", "/3/image/AbCdE12"),
            ("https://i.imgur.com/AbCdE12m.jpg", "/3/image/AbCdE12"),
            ("i.imgur.com/AbCdEh.gifv", "/3/image/AbCdE"),
            ("https://imgur.com/gallery/some-title-XyZ123?utm=x#comment", "/3/gallery/XyZ123"),
            ("IMGUR.COM/a/XyZ123", "/3/album/XyZ123/images"),
        ];
        for (text, path) in cases {
            let source: Source = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(source.api_path(0), path, "{text}");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "hot/viral/day",
            "r/pics/top/week",
            "album/abc",
            "gallery/abc",
            "search:red cars",
            "random",
            "user/someone",
            "user/someone/favorites",
            "t/cats/top/all",
            "image/AbCdE12",
        ] {
            let source: Source = text.parse().unwrap();
            assert_eq!(source.to_string(), text);
            assert_eq!(source.to_string().parse::<Source>().unwrap(), source);
        }
    }

    #[test]
    fn an_unknown_link_is_answered_with_what_galley_accepts() {
        let error = "https://example.com/x".parse::<Source>().unwrap_err().to_string();
        for form in ["imgur.com/user/NAME", "imgur.com/t/TAG", "i.imgur.com/ID.jpg", "r/NAME", "search:WORDS"] {
            assert!(error.contains(form), "{error}");
        }
    }

    #[test]
    fn size_suffixed_thumbnails_name_their_original() {
        assert_eq!(direct_link_id("AbCdE12.jpg").as_deref(), Some("AbCdE12"));
        for suffix in SIZE_SUFFIXES {
            assert_eq!(direct_link_id(&format!("AbCdE12{suffix}.jpg")).as_deref(), Some("AbCdE12"));
        }
        assert_eq!(direct_link_id("AbCdE12x.jpg"), None);
        assert_eq!(direct_link_id("Ab.jpg"), None);
    }

    #[test]
    fn refuses_names_that_could_bend_the_path() {
        for text in [
            "album/../../x",
            "r/a%2Fb",
            "album/a?b=1",
            "gallery/a.b",
            "https://evil.com/a/abc",
            "hot/sideways/day",
            "",
            "search:",
            "https://i.imgur.com/a/b.jpg",
            "https://i.imgur.com/AbCdE123456.jpg",
            "imgur.com/user/a.b",
            "imgur.com/t/../x",
            "imgur.com/some/thing/else",
        ] {
            assert!(text.parse::<Source>().is_err(), "{text} should be refused");
        }
    }
}
