//! The settings view: Client-ID, concurrency, file names, folders per album, videos,
//! animated GIFs as MP4 and the theme, in a window of its own opened from the gear button
//! (the main window keeps the sources, the queue, the grid and the activity). What to
//! download is not here: it is the queue's, one source at a time, with its own pages and
//! limit. How settings are kept across restarts is in `ui::persistence`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::engine::{CONCURRENCY_RANGE, DEFAULT_TEMPLATE, MovingPictures, NameTemplate};

/// How many folders the Recent menu offers.
pub const RECENT_FOLDERS: usize = 8;

/// Hours between automatic checks of the followed sources, unless the user says.
pub const DEFAULT_FOLLOW_CHECK_HOURS: u32 = 6;

/// The window's colours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    /// As the desktop says.
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "As the desktop",
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        }
    }

    pub fn preference(self) -> egui::ThemePreference {
        match self {
            Theme::System => egui::ThemePreference::System,
            Theme::Light => egui::ThemePreference::Light,
            Theme::Dark => egui::ThemePreference::Dark,
        }
    }
}

/// Everything worth keeping across restarts (the Client-ID is kept apart, privately).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The download folder, which the grid shows.
    pub folder: String,
    /// Download folders used before, the latest first.
    pub recent_folders: Vec<String>,
    pub concurrency: usize,
    /// Also save videos (video-only items), as MP4.
    pub save_videos: bool,
    /// Save animated GIFs as the smaller MP4 Imgur offers instead of the .gif.
    pub animated_as_mp4: bool,
    /// The file-name template (`{id}.{ext}`, `{album_title}-{num}.{ext}`...).
    pub file_names: String,
    /// Each album's images in a subfolder named by its title.
    pub album_folders: bool,
    pub theme: Theme,
    /// Check the followed sources at start and every this many hours while the window is
    /// open (0: only when asked).
    pub follow_check_hours: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            folder: default_folder().display().to_string(),
            recent_folders: Vec::new(),
            concurrency: 16,
            save_videos: false,
            animated_as_mp4: false,
            file_names: DEFAULT_TEMPLATE.to_owned(),
            album_folders: false,
            theme: Theme::System,
            follow_check_hours: DEFAULT_FOLLOW_CHECK_HOURS,
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
    /// The demo gallery's own settings: its folder, no automatic checks of followed
    /// sources, the rest as a new user has them.
    pub fn demo(folder: &std::path::Path) -> Self {
        Self { folder: folder.display().to_string(), follow_check_hours: 0, ..Self::default() }
    }

    /// `folder` is the download folder now: it heads the Recent menu (once).
    pub fn use_folder(&mut self, folder: &std::path::Path) {
        let text = folder.display().to_string();
        self.folder.clone_from(&text);
        self.recent_folders.retain(|recent| *recent != text);
        self.recent_folders.insert(0, text);
        self.recent_folders.truncate(RECENT_FOLDERS);
    }

    /// The file-name template, or what is wrong with it, in the settings' words.
    pub fn name_template(&self) -> Result<NameTemplate, String> {
        let text = self.file_names.trim();
        if text.is_empty() {
            return Ok(NameTemplate::default());
        }
        text.parse()
            .map_err(|error| format!("The file names \"{text}\" cannot be used: {error}. Fix them in Settings."))
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

/// What the settings view asks the app to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsAction {
    Close,
    /// Remove the thumbnails galley made (they are made again when needed).
    ClearThumbnails,
}

/// The Client-ID field's hint: what to put there, for the server in use.
pub fn client_id_hint(demo: bool) -> &'static str {
    if demo { "not needed for the demo" } else { "needed: from api.imgur.com/oauth2/addclient" }
}

/// The settings view, a window over the main one: `settings` and `client_id` are edited
/// in place (the Client-ID is stored apart from `settings`); Close and Clear thumbnails are
/// returned. `demo` says whether runs go to the demo gallery (which needs no Client-ID).
pub fn settings_window(
    ctx: &egui::Context,
    settings: &mut Settings,
    client_id: &mut ClientIdField,
    demo: bool,
) -> Option<SettingsAction> {
    let mut action = None;
    let mut open = true;
    // Never taller or wider than the window: at 800x600 all of it is in sight, scrolled.
    let room = ctx.content_rect().size() - egui::vec2(24.0, 48.0);
    egui::Window::new("Settings")
        .id(egui::Id::unique("settings-window"))
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .max_width(room.x.min(460.0))
        .max_height(room.y.max(120.0))
        .show(ctx, |ui| {
            egui::ScrollArea::vertical().max_height(room.y - 40.0).show(ui, |ui| {
                if let Some(clicked) = settings_ui(ui, settings, client_id, demo) {
                    action = Some(clicked);
                }
            });
        });
    if !open {
        action = Some(SettingsAction::Close);
    }
    action
}

/// The settings' widgets.
pub fn settings_ui(
    ui: &mut egui::Ui,
    settings: &mut Settings,
    client_id: &mut ClientIdField,
    demo: bool,
) -> Option<SettingsAction> {
    let mut action = None;
    egui::Grid::new("settings").num_columns(2).spacing([8.0, 8.0]).show(ui, |ui| {
        let label = ui.label("Client-ID");
        ui.horizontal(|ui| {
            let field = egui::TextEdit::singleline(&mut client_id.text)
                .password(!client_id.shown)
                .hint_text(client_id_hint(demo))
                .desired_width(220.0);
            ui.add(field).labelled_by(label.id);
            ui.checkbox(&mut client_id.shown, "Show");
        });
        ui.end_row();

        let label = ui.label("Concurrency");
        let range = *CONCURRENCY_RANGE.start()..=*CONCURRENCY_RANGE.end();
        ui.add(egui::Slider::new(&mut settings.concurrency, range).logarithmic(true))
            .labelled_by(label.id)
            .on_hover_text("Downloads at once");
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

        ui.label("Moving pictures");
        ui.vertical(|ui| {
            ui.checkbox(&mut settings.save_videos, "Also save videos (MP4)")
                .on_hover_text("Every JPEG, PNG and GIF is saved, animated GIFs included. Videos are not images: tick this to save them too.");
            ui.checkbox(&mut settings.animated_as_mp4, "Animated GIFs as MP4 (smaller)")
                .on_hover_text("Save each animated GIF as the MP4 Imgur also offers, a fraction of the size, instead of the .gif.");
        });
        ui.end_row();

        let label = ui.label("Check followed");
        let field = egui::DragValue::new(&mut settings.follow_check_hours).range(0..=168).custom_formatter(
            |hours, _| match hours {
                0.0 => "only when asked".to_owned(),
                1.0 => "at start, then every hour".to_owned(),
                hours => format!("at start, then every {hours} hours"),
            },
        );
        ui.add(field)
            .labelled_by(label.id)
            .on_hover_text("While galley is open, check the followed sources for new pictures (Following)");
        ui.end_row();

        let label = ui.label("Theme");
        egui::ComboBox::from_id_salt("theme")
            .selected_text(settings.theme.label())
            .show_ui(ui, |ui| {
                for theme in Theme::ALL {
                    ui.selectable_value(&mut settings.theme, theme, theme.label());
                }
            })
            .response
            .labelled_by(label.id);
        ui.end_row();

        ui.label("Thumbnails");
        let clear = ui.button("Clear thumbnails").on_hover_text(
            "Remove the thumbnails galley made of the folders it has shown (they are made again when needed)",
        );
        if clear.clicked() {
            action = Some(SettingsAction::ClearThumbnails);
        }
        ui.end_row();
    });
    ui.add_space(6.0);
    ui.weak("Settings are kept when galley closes; the Client-ID in a file only you can read.");
    ui.horizontal(|ui| {
        if ui.button("Close").clicked() {
            action = Some(SettingsAction::Close);
        }
    });
    action
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_used_heads_the_recent_menu_once() {
        let mut settings = Settings::default();
        for folder in ["/a", "/b", "/a"] {
            settings.use_folder(std::path::Path::new(folder));
        }
        assert_eq!(settings.folder, "/a");
        assert_eq!(settings.recent_folders, ["/a", "/b"]);
        for n in 0..20 {
            settings.use_folder(std::path::Path::new(&format!("/f{n}")));
        }
        assert_eq!(settings.recent_folders.len(), RECENT_FOLDERS);
        assert_eq!(settings.recent_folders[0], "/f19");
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
