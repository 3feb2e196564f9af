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
        "'{0}' is not a gallery source: use hot/viral/day, r/<subreddit>, album/<id>, gallery/<id>, search:<query> or an imgur.com URL"
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
        !matches!(self, Source::Album { .. } | Source::Post { .. })
    }

    fn parse_url(text: &str) -> Result<Source, SourceError> {
        let unrecognised = || SourceError::Unrecognised(text.to_owned());
        let with_scheme = if text.contains("://") { text.to_owned() } else { format!("https://{text}") };
        let url = url::Url::parse(&with_scheme).map_err(|_| unrecognised())?;
        let host = url.host_str().unwrap_or_default().trim_start_matches("www.").trim_start_matches("m.");
        if host != "imgur.com" {
            return Err(unrecognised());
        }
        let segments: Vec<&str> =
            url.path_segments().map(|s| s.filter(|s| !s.is_empty()).collect()).unwrap_or_default();
        match segments.as_slice() {
            // New gallery and album URLs end in "-<id>" after a title slug. A gallery post
            // may be an album or a single image, so it is asked for as a post.
            ["gallery", slug, ..] => {
                let id = slug.rsplit('-').next().unwrap_or(slug);
                Ok(Source::Post { id: check_name(id, "gallery id")? })
            }
            ["a", slug, ..] => {
                let id = slug.rsplit('-').next().unwrap_or(slug);
                Ok(Source::Album { id: check_name(id, "album id")? })
            }
            ["r", name, ..] => {
                Ok(Source::Subreddit { name: check_name(name, "subreddit")?, sort: Sort::Time, window: Window::Day })
            }
            [] | ["hot"] => Ok(Source::default()),
            _ => Err(unrecognised()),
        }
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
        if text.contains("imgur.com") {
            return Source::parse_url(text);
        }
        let parts: Vec<&str> = text.split('/').filter(|p| !p.is_empty()).collect();
        match parts.as_slice() {
            ["random"] | ["random", "random"] => Ok(Source::Random),
            ["album", id] | ["a", id] => Ok(Source::Album { id: check_name(id, "album id")? }),
            ["gallery", id] => Ok(Source::Post { id: check_name(id, "gallery id")? }),
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
        ];
        for (text, path) in cases {
            let source: Source = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(source.api_path(0), path, "{text}");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in ["hot/viral/day", "r/pics/top/week", "album/abc", "gallery/abc", "search:red cars", "random"] {
            let source: Source = text.parse().unwrap();
            assert_eq!(source.to_string(), text);
            assert_eq!(source.to_string().parse::<Source>().unwrap(), source);
        }
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
        ] {
            assert!(text.parse::<Source>().is_err(), "{text} should be refused");
        }
    }
}
