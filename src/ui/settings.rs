//! The settings panel: Client-ID, gallery source, folder, concurrency. How they are kept
//! across restarts is in [`super::persistence`].

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::engine::{CONCURRENCY_RANGE, DEFAULT_TEMPLATE, MovingPictures, NameTemplate, Section, Sort, Source, Window};

/// Which kind of gallery the user picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceKind {
    Gallery,
    Subreddit,
    Album,
    Search,
}

/// Everything the panel edits that is worth keeping across restarts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub kind: SourceKind,
    pub section: Section,
    pub sort: Sort,
    pub window: Window,
    pub subreddit: String,
    /// An album id, or an imgur.com album or gallery-post URL.
    pub album: String,
    pub search: String,
    pub pages: u32,
    /// 0 means no limit.
    pub limit: usize,
    pub folder: String,
    pub concurrency: usize,
    /// Also save videos (video-only items), as MP4.
    pub save_videos: bool,
    /// Save animated GIFs as the smaller MP4 Imgur offers instead of the .gif.
    pub animated_as_mp4: bool,
    /// The file-name template (`{id}.{ext}`, `{album_title}-{num}.{ext}`...).
    pub file_names: String,
    /// Each album's images in a subfolder named by its title.
    pub album_folders: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            kind: SourceKind::Gallery,
            section: Section::Hot,
            sort: Sort::Viral,
            window: Window::Day,
            subreddit: "earthporn".to_owned(),
            album: String::new(),
            search: String::new(),
            pages: 1,
            limit: 0,
            folder: default_folder().display().to_string(),
            concurrency: 16,
            save_videos: false,
            animated_as_mp4: false,
            file_names: DEFAULT_TEMPLATE.to_owned(),
            album_folders: false,
        }
    }
}

/// The user's Pictures/galley, or a folder in the temp dir on machines without one.
pub fn default_folder() -> PathBuf {
    pictures_dir().join("galley")
}

/// Where `galley --demo` saves the demo gallery: Pictures/galley-demo.
pub fn demo_folder() -> PathBuf {
    pictures_dir().join("galley-demo")
}

fn pictures_dir() -> PathBuf {
    dirs::picture_dir()
        .or_else(|| dirs::home_dir().map(|home| home.join("Pictures")))
        .unwrap_or_else(std::env::temp_dir)
}

impl Settings {
    /// The demo gallery's own settings: its whole gallery into its own folder.
    pub fn demo(folder: &std::path::Path) -> Self {
        Self { folder: folder.display().to_string(), ..Self::default() }
    }

    /// The source these settings describe, or why they describe none, in the words of the
    /// panel (never the command line's `album/<id>` syntax).
    pub fn source(&self) -> Result<Source, String> {
        match self.kind {
            SourceKind::Gallery => Ok(Source::Gallery { section: self.section, sort: self.sort, window: self.window }),
            SourceKind::Subreddit => {
                let name = self.subreddit.trim();
                if name.is_empty() {
                    return Err("Enter a subreddit name, like earthporn.".to_owned());
                }
                let parsed = format!("r/{name}/{}/{}", self.sort, self.window).parse();
                parsed.map_err(|_| {
                    format!("\"{name}\" is not a subreddit name: use letters, digits and _ only, like earthporn.")
                })
            }
            SourceKind::Album => {
                let album = self.album.trim();
                if album.is_empty() {
                    return Err(
                        "Enter an album id (like AbC12) or paste an Imgur link: an album, a post, a user, a tag or an image."
                            .to_owned(),
                    );
                }
                let is_link = album.to_ascii_lowercase().contains("imgur.");
                let parsed = if is_link { album.parse() } else { format!("album/{album}").parse() };
                parsed.map_err(|_| {
                    format!(
                        "\"{album}\" is not an album id or an Imgur link galley knows. Paste a link to an album (imgur.com/a/...), a post (imgur.com/gallery/...), a user (imgur.com/user/NAME), a tag (imgur.com/t/TAG) or an image (imgur.com/ID, i.imgur.com/ID.jpg); an album id is letters and digits, like AbC12."
                    )
                })
            }
            SourceKind::Search => {
                let query = self.search.trim();
                if query.is_empty() {
                    return Err("Enter something to search for.".to_owned());
                }
                let parsed = format!("search:{query}").parse::<Source>();
                let source = parsed.map_err(|_| format!("galley cannot search for \"{query}\"."))?;
                Ok(match source {
                    Source::Search { query, .. } => Source::Search { query, sort: self.sort, window: self.window },
                    other => other,
                })
            }
        }
    }

    /// The file-name template, or what is wrong with it, in the panel's words.
    pub fn name_template(&self) -> Result<NameTemplate, String> {
        let text = self.file_names.trim();
        if text.is_empty() {
            return Ok(NameTemplate::default());
        }
        text.parse().map_err(|error| format!("The file names \"{text}\" cannot be used: {error}."))
    }

    pub fn limit(&self) -> Option<usize> {
        (self.limit > 0).then_some(self.limit)
    }

    /// The moving pictures a run saves besides the still images.
    pub fn moving_pictures(&self) -> MovingPictures {
        MovingPictures { videos: self.save_videos, gifs_as_mp4: self.animated_as_mp4 }
    }
}

/// The Client-ID as typed in the panel (kept apart from `Settings`, which is saved in
/// plain text; the Client-ID has a private file of its own).
#[derive(Debug, Clone, Default)]
pub struct ClientIdField {
    pub text: String,
    /// Show it unmasked.
    pub shown: bool,
}

/// What the panel asks the app to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsAction {
    ChooseFolder,
    /// The folder text was edited and left: show what it holds.
    FolderEdited,
}

/// The Client-ID field's hint: what to put there, for the server in use.
pub fn client_id_hint(demo: bool) -> &'static str {
    if demo { "not needed for the demo" } else { "needed: from api.imgur.com/oauth2/addclient" }
}

/// The panel's widgets. `client_id` is edited here but stored apart from `settings`.
/// `demo` says whether runs go to the demo gallery (which needs no Client-ID).
pub fn settings_ui(
    ui: &mut egui::Ui,
    settings: &mut Settings,
    client_id: &mut ClientIdField,
    demo: bool,
) -> Option<SettingsAction> {
    let mut action = None;
    egui::Grid::new("settings").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
        let label = ui.label("Client-ID");
        ui.horizontal(|ui| {
            let field = egui::TextEdit::singleline(&mut client_id.text)
                .password(!client_id.shown)
                .hint_text(client_id_hint(demo))
                .desired_width(180.0);
            ui.add(field).labelled_by(label.id);
            ui.checkbox(&mut client_id.shown, "Show");
        });
        ui.end_row();

        source_ui(ui, settings);

        let label = ui.label("Pages");
        ui.add(egui::DragValue::new(&mut settings.pages).range(1..=50)).labelled_by(label.id);
        ui.end_row();
        let label = ui.label("Limit (0 = none)");
        ui.add(egui::DragValue::new(&mut settings.limit).range(0..=100_000)).labelled_by(label.id);
        ui.end_row();

        let label = ui.label("Folder");
        ui.horizontal(|ui| {
            let edit =
                ui.add(egui::TextEdit::singleline(&mut settings.folder).desired_width(220.0)).labelled_by(label.id);
            if edit.lost_focus() {
                action = Some(SettingsAction::FolderEdited);
            }
            if ui.button("Choose...").clicked() {
                action = Some(SettingsAction::ChooseFolder);
            }
        });
        ui.end_row();

        let label = ui.label("Concurrency");
        let range = *CONCURRENCY_RANGE.start()..=*CONCURRENCY_RANGE.end();
        ui.add(egui::Slider::new(&mut settings.concurrency, range).logarithmic(true)).labelled_by(label.id);
        ui.end_row();
        ui.label("");
        ui.checkbox(&mut settings.save_videos, "Also save videos (MP4)")
            .on_hover_text("Every JPEG, PNG and GIF is saved, animated GIFs included. Videos are not images: tick this to save them too.");
        ui.end_row();
        ui.label("");
        ui.checkbox(&mut settings.animated_as_mp4, "Animated GIFs as MP4 (smaller)")
            .on_hover_text("Save each animated GIF as the MP4 Imgur also offers, a fraction of the size, instead of the .gif.");
        ui.end_row();

        let label = ui.label("File names");
        let hint = "{id} {title} {album} {album_title} {num} {account} {date} {ext}";
        let field =
            egui::TextEdit::singleline(&mut settings.file_names).hint_text(DEFAULT_TEMPLATE).desired_width(220.0);
        ui.add(field).labelled_by(label.id).on_hover_text(hint);
        ui.end_row();
        ui.label("");
        ui.checkbox(&mut settings.album_folders, "A folder per album, named by its title");
        ui.end_row();
    });
    action
}

fn source_ui(ui: &mut egui::Ui, settings: &mut Settings) {
    let label = ui.label("Gallery");
    egui::ComboBox::from_id_salt("source-kind")
        .selected_text(kind_name(settings.kind))
        .show_ui(ui, |ui| {
            for kind in [SourceKind::Gallery, SourceKind::Subreddit, SourceKind::Album, SourceKind::Search] {
                ui.selectable_value(&mut settings.kind, kind, kind_name(kind));
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();

    match settings.kind {
        SourceKind::Gallery => {
            keyword_row(ui, "Section", &mut settings.section, &[Section::Hot, Section::Top, Section::User]);
            sort_and_window_rows(ui, settings);
        }
        SourceKind::Subreddit => {
            text_row(ui, "Subreddit", &mut settings.subreddit);
            sort_and_window_rows(ui, settings);
        }
        SourceKind::Album => text_row(ui, "Album id or Imgur link", &mut settings.album),
        SourceKind::Search => {
            text_row(ui, "Search", &mut settings.search);
            sort_and_window_rows(ui, settings);
        }
    }
}

fn sort_and_window_rows(ui: &mut egui::Ui, settings: &mut Settings) {
    keyword_row(ui, "Sort", &mut settings.sort, &[Sort::Viral, Sort::Top, Sort::Time, Sort::Rising]);
    keyword_row(
        ui,
        "Window",
        &mut settings.window,
        &[Window::Day, Window::Week, Window::Month, Window::Year, Window::All],
    );
}

fn text_row(ui: &mut egui::Ui, name: &str, value: &mut String) {
    let label = ui.label(name);
    ui.add(egui::TextEdit::singleline(value).desired_width(220.0)).labelled_by(label.id);
    ui.end_row();
}

fn keyword_row<T: Copy + PartialEq + std::fmt::Display>(ui: &mut egui::Ui, name: &str, value: &mut T, choices: &[T]) {
    let label = ui.label(name);
    egui::ComboBox::from_id_salt(name)
        .selected_text(value.to_string())
        .show_ui(ui, |ui| {
            for choice in choices {
                ui.selectable_value(value, *choice, choice.to_string());
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();
}

fn kind_name(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Gallery => "Imgur gallery",
        SourceKind::Subreddit => "Subreddit",
        SourceKind::Album => "Album or Imgur link",
        SourceKind::Search => "Search",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_describes_a_source() {
        let mut settings = Settings { kind: SourceKind::Subreddit, subreddit: "aww".into(), ..Settings::default() };
        assert_eq!(settings.source().expect("subreddit").api_path(0), "/3/gallery/r/aww/viral/day/0");
        settings.kind = SourceKind::Album;
        settings.album = "https://imgur.com/a/AbC12".into();
        assert_eq!(settings.source().expect("album url").api_path(0), "/3/album/AbC12/images");
        settings.album = "https://imgur.com/gallery/a-title-AbC12".into();
        assert_eq!(settings.source().expect("gallery post url").api_path(0), "/3/gallery/AbC12");
        for (link, path) in [
            ("https://imgur.com/user/someone/favorites", "/3/account/someone/gallery_favorites/0"),
            ("m.imgur.com/t/cats", "/3/gallery/t/cats/viral/week/0"),
            ("https://i.imgur.com/AbCdE12m.jpg", "/3/image/AbCdE12"),
            ("IMGUR.IO/user/someone", "/3/account/someone/submissions/0"),
        ] {
            settings.album = link.into();
            assert_eq!(settings.source().expect(link).api_path(0), path);
        }
        settings.album = "../etc".into();
        assert!(settings.source().is_err());
        settings.kind = SourceKind::Search;
        settings.search = "  ".into();
        assert!(settings.source().is_err(), "an empty search is refused");
        settings.search = "cats".into();
        settings.sort = Sort::Top;
        assert_eq!(settings.source().expect("search").api_path(0), "/3/gallery/search/top/day/0");
    }

    #[test]
    fn a_bad_album_is_said_in_the_panels_words() {
        let mut settings = Settings { kind: SourceKind::Album, album: "not an album!".into(), ..Settings::default() };
        let message = settings.source().expect_err("refused");
        assert!(message.contains("is not an album id or an Imgur link galley knows"), "{message}");
        for internal in ["album/<id>", "search:<query>", "r/<subreddit>"] {
            assert!(!message.contains(internal), "{message}");
        }
        settings.album = String::new();
        assert!(settings.source().expect_err("refused").starts_with("Enter an album id"));
    }

    #[test]
    fn the_file_names_are_a_template_or_a_plain_reason() {
        let mut settings = Settings::default();
        assert!(settings.name_template().expect("the default").is_default());
        settings.file_names = "{album_title}-{num}.{ext}".into();
        assert_eq!(settings.name_template().expect("parses").to_string(), "{album_title}-{num}.{ext}");
        settings.file_names = "{nope}".into();
        let reason = settings.name_template().expect_err("refused");
        assert!(reason.starts_with("The file names \"{nope}\" cannot be used"), "{reason}");
    }

    #[test]
    fn the_client_id_hint_follows_the_server() {
        assert_eq!(client_id_hint(true), "not needed for the demo");
        assert!(client_id_hint(false).contains("api.imgur.com"));
    }
}
