//! File names from a template, the gallery-dl way: `{title}-{id}.{ext}`, `{album_title}
//! {num}.{ext}`. What a template makes is only a wish: the result still goes through the
//! sanitizer (`naming::clean_stem`), so whatever Imgur says of an image, its file stays a
//! plain name inside the folder. The default, `{id}.{ext}`, names files exactly as galley
//! always has.

use std::fmt;
use std::str::FromStr;

use super::item::ImageItem;
use super::naming;

/// The fields a template may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Title,
    Album,
    AlbumTitle,
    Num,
    Account,
    Date,
}

impl Field {
    const NAMES: [(&'static str, Field); 7] = [
        ("id", Field::Id),
        ("title", Field::Title),
        ("album", Field::Album),
        ("album_title", Field::AlbumTitle),
        ("num", Field::Num),
        ("account", Field::Account),
        ("date", Field::Date),
    ];

    fn value(self, item: &ImageItem) -> String {
        let meta = &item.meta;
        match self {
            Field::Id => item.id.clone(),
            Field::Title => meta.title.clone().unwrap_or_default(),
            Field::Album => meta.album_id.clone().unwrap_or_default(),
            Field::AlbumTitle => meta.album_title.clone().unwrap_or_default(),
            Field::Num => item.position.to_string(),
            Field::Account => meta.account.clone().unwrap_or_default(),
            Field::Date => meta.datetime.map(utc_date).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Field(Field),
}

/// A parsed `--filename` template. The extension is always the file's real type's: a
/// template ends in `.{ext}` (or leaves it out, and it is added).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameTemplate {
    text: String,
    /// The name before `.{ext}`.
    stem: Vec<Part>,
}

/// The default template.
pub const DEFAULT_TEMPLATE: &str = "{id}.{ext}";

impl Default for NameTemplate {
    fn default() -> Self {
        Self { text: DEFAULT_TEMPLATE.to_owned(), stem: vec![Part::Field(Field::Id)] }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "'{{{0}}}' is not a field a file name can have; use {{id}} {{title}} {{album}} {{album_title}} {{num}} {{account}} {{date}} {{ext}}"
    )]
    UnknownField(String),
    #[error("a '{{' is never closed: write fields as {{id}}, {{title}}...")]
    Unclosed,
    #[error("{{ext}} may only end the name, as in {{title}}.{{ext}}: a file's extension is its real type's")]
    ExtensionInside,
    #[error("the name has no field: add {{id}} or another, so that files are told apart")]
    NoField,
}

impl FromStr for NameTemplate {
    type Err = TemplateError;

    fn from_str(text: &str) -> Result<Self, TemplateError> {
        let text = text.trim();
        let body = text.strip_suffix(".{ext}").unwrap_or(text);
        let mut stem = Vec::new();
        let mut rest = body;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                stem.push(Part::Text(rest[..open].to_owned()));
            }
            let close = rest[open..].find('}').ok_or(TemplateError::Unclosed)? + open;
            let name = &rest[open + 1..close];
            let field = match Field::NAMES.iter().find(|(known, _)| *known == name) {
                Some((_, field)) => *field,
                None if name == "ext" => return Err(TemplateError::ExtensionInside),
                None => return Err(TemplateError::UnknownField(name.to_owned())),
            };
            stem.push(Part::Field(field));
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            stem.push(Part::Text(rest.to_owned()));
        }
        if !stem.iter().any(|part| matches!(part, Part::Field(_))) {
            return Err(TemplateError::NoField);
        }
        Ok(Self { text: text.to_owned(), stem })
    }
}

impl fmt::Display for NameTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl NameTemplate {
    pub fn is_default(&self) -> bool {
        self.stem == [Part::Field(Field::Id)]
    }

    /// Whether a name depends on the image's place in its listing (`{num}`), and so on
    /// how many images the albums listed before it hold.
    pub fn uses_place(&self) -> bool {
        self.stem.contains(&Part::Field(Field::Num))
    }

    /// The file stem of `item`: the template filled in and sanitized. The default is the
    /// id's stem as it has always been; a template that leaves nothing usable (every
    /// field empty, or only characters the sanitizer drops) falls back to it too.
    pub fn stem(&self, item: &ImageItem) -> String {
        if self.is_default() {
            return naming::stem_for_id(&item.id);
        }
        let filled: String = self
            .stem
            .iter()
            .map(|part| match part {
                Part::Text(text) => text.clone(),
                Part::Field(field) => field.value(item),
            })
            .collect();
        naming::clean_stem(&filled).unwrap_or_else(|| naming::stem_for_id(&item.id))
    }
}

/// The album subfolder of an item: its album's title, sanitized (or the album's id when
/// the title leaves nothing); `None` for an image in no album.
pub fn album_folder(item: &ImageItem) -> Option<String> {
    let meta = &item.meta;
    let id = meta.album_id.as_deref()?;
    meta.album_title.as_deref().and_then(naming::clean_stem).or_else(|| Some(naming::stem_for_id(id)))
}

/// `YYYY-MM-DD` of a Unix time, in UTC.
fn utc_date(unix: i64) -> String {
    let (year, month, day) = civil_from_days(unix.div_euclid(86_400));
    format!("{year:04}-{month:02}-{day:02}")
}

/// The date of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::ImageMeta;
    use crate::engine::item::Position;

    fn item(id: &str, meta: ImageMeta, position: Position) -> ImageItem {
        ImageItem { id: id.into(), link: String::new(), claimed: None, size: None, meta, source: 0, position }
    }

    fn album_member() -> ImageItem {
        let meta = ImageMeta {
            title: Some("Sunset over the bay".into()),
            album_id: Some("AlB12".into()),
            album_title: Some("Trip: Lisbon/2024".into()),
            account: Some("ana".into()),
            datetime: Some(1_700_000_000),
            ..ImageMeta::default()
        };
        item("AbCdE12", meta, Position { num: 3, of: Some(12) })
    }

    #[test]
    fn the_default_names_files_as_before() {
        let template: NameTemplate = DEFAULT_TEMPLATE.parse().expect("parses");
        assert!(template.is_default());
        assert_eq!(template, NameTemplate::default());
        let hostile = item("../../etc/passwd", ImageMeta::default(), Position::default());
        assert_eq!(template.stem(&hostile), naming::stem_for_id("../../etc/passwd"));
        assert_eq!(template.stem(&album_member()), "AbCdE12");
    }

    #[test]
    fn every_field_fills_in_and_the_result_is_sanitized() {
        let template: NameTemplate =
            "{album_title} {num} {title} {account} {date} {album} {id}.{ext}".parse().expect("parses");
        assert_eq!(
            template.stem(&album_member()),
            "Trip_Lisbon_2024_03_Sunset_over_the_bay_ana_2023-11-14_AlB12_AbCdE12"
        );
        let without_ext: NameTemplate = "{title}".parse().expect("parses");
        assert_eq!(without_ext.stem(&album_member()), "Sunset_over_the_bay");
    }

    #[test]
    fn a_name_with_nothing_usable_falls_back_to_the_id() {
        let template: NameTemplate = "{title}.{ext}".parse().expect("parses");
        let untitled = item("XyZ9876", ImageMeta::default(), Position::default());
        assert_eq!(template.stem(&untitled), "XyZ9876");
        let dots =
            item("XyZ9876", ImageMeta { title: Some("../..".into()), ..ImageMeta::default() }, Position::default());
        assert_eq!(template.stem(&dots), "XyZ9876");
    }

    #[test]
    fn bad_templates_say_what_is_wrong() {
        assert_eq!("{nope}.{ext}".parse::<NameTemplate>(), Err(TemplateError::UnknownField("nope".into())));
        assert_eq!("{id".parse::<NameTemplate>(), Err(TemplateError::Unclosed));
        assert_eq!("{ext}-{id}".parse::<NameTemplate>(), Err(TemplateError::ExtensionInside));
        assert_eq!("photo.{ext}".parse::<NameTemplate>(), Err(TemplateError::NoField));
        let message = TemplateError::UnknownField("nope".into()).to_string();
        assert!(message.contains("{nope}") && message.contains("{album_title}"), "{message}");
    }

    #[test]
    fn only_num_makes_a_name_depend_on_the_place() {
        let uses = |text: &str| text.parse::<NameTemplate>().expect("a template").uses_place();
        assert!(!NameTemplate::default().uses_place());
        assert!(!uses("{album_title}/{title}-{id}.{ext}"));
        assert!(uses("{album_title}-{num}.{ext}"));
    }

    #[test]
    fn numbers_are_padded_to_their_albums_size() {
        assert_eq!(Position { num: 3, of: Some(12) }.to_string(), "03");
        assert_eq!(Position { num: 7, of: Some(150) }.to_string(), "007");
        assert_eq!(Position { num: 7, of: None }.to_string(), "007");
        assert_eq!(Position { num: 1234, of: None }.to_string(), "1234");
    }

    #[test]
    fn albums_get_folders_named_by_their_title() {
        assert_eq!(album_folder(&album_member()).as_deref(), Some("Trip_Lisbon_2024"));
        let untitled =
            item("a", ImageMeta { album_id: Some("AlB12".into()), ..ImageMeta::default() }, Position::default());
        assert_eq!(album_folder(&untitled).as_deref(), Some("AlB12"));
        assert_eq!(album_folder(&item("a", ImageMeta::default(), Position::default())), None);
    }

    #[test]
    fn dates_are_utc_days() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(1_700_000_000), "2023-11-14");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(-86_400), "1969-12-31");
    }
}
