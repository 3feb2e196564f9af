//! The one way in: the box at the top of the window. It takes pasted Imgur links (one or
//! many, a line each; Enter queues them, Shift-Enter starts a new line) and offers a menu
//! of Imgur's galleries (hot, top, a user's, a tag's, a subreddit, a search) that opens a
//! short form asking for what the gallery needs (a name, a tag, words to search for) and
//! queues its short form (`hot/viral/day`, `user/NAME`, `t/TAG`, `r/NAME`, `search:...`).
//! Drawing only: every click comes back as a [`SourcesAction`].

use crate::engine::{Section, Sort, Source, Window};

/// The accessible name (and visible label) of the box.
pub const SOURCES_BOX: &str = "Add sources";

/// The galleries the menu offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GalleryKind {
    Hot,
    Top,
    User,
    Tag,
    Subreddit,
    Search,
}

impl GalleryKind {
    pub const ALL: [GalleryKind; 6] = [
        GalleryKind::Hot,
        GalleryKind::Top,
        GalleryKind::User,
        GalleryKind::Tag,
        GalleryKind::Subreddit,
        GalleryKind::Search,
    ];

    /// Its line in the menu.
    pub fn label(self) -> &'static str {
        match self {
            GalleryKind::Hot => "Hot: most viral now",
            GalleryKind::Top => "Top: best of a time window",
            GalleryKind::User => "A user's posts...",
            GalleryKind::Tag => "A tag...",
            GalleryKind::Subreddit => "A subreddit...",
            GalleryKind::Search => "A search...",
        }
    }

    /// What the form asks for, if the gallery needs a word.
    fn asks_for(self) -> Option<&'static str> {
        match self {
            GalleryKind::Hot | GalleryKind::Top => None,
            GalleryKind::User => Some("User name"),
            GalleryKind::Tag => Some("Tag"),
            GalleryKind::Subreddit => Some("Subreddit"),
            GalleryKind::Search => Some("Search for"),
        }
    }

    /// Whether its listing has a sort and a time window to choose.
    fn sorted(self) -> bool {
        !matches!(self, GalleryKind::User | GalleryKind::Search)
    }
}

/// The short form the Galleries menu opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GalleryForm {
    pub kind: GalleryKind,
    /// The user name, tag, subreddit or search words.
    pub word: String,
    pub sort: Sort,
    pub window: Window,
    /// Why the last "Queue it" was refused.
    pub problem: Option<String>,
}

impl GalleryForm {
    pub fn new(kind: GalleryKind) -> Self {
        let (sort, window) = match kind {
            GalleryKind::Top => (Sort::Top, Window::Week),
            GalleryKind::Subreddit => (Sort::Time, Window::Day),
            GalleryKind::Tag => (Sort::Viral, Window::Week),
            _ => (Sort::Viral, Window::Day),
        };
        Self { kind, word: String::new(), sort, window, problem: None }
    }

    /// The gallery the form names, or why it names none (in the form's words).
    pub fn source(&self) -> Result<Source, String> {
        let word = self.word.trim();
        if let Some(asked) = self.kind.asks_for()
            && word.is_empty()
        {
            return Err(format!("Enter the {} first.", asked.to_lowercase()));
        }
        let (sort, window) = (self.sort, self.window);
        let source = match self.kind {
            GalleryKind::Hot => Ok(Source::Gallery { section: Section::Hot, sort, window }),
            GalleryKind::Top => Ok(Source::Gallery { section: Section::Top, sort, window }),
            GalleryKind::User => Source::user(word),
            GalleryKind::Tag => Source::tag(word, sort, window),
            GalleryKind::Subreddit => Source::subreddit(word, sort, window),
            GalleryKind::Search => Source::search(word),
        };
        source.map_err(|_| {
            format!(
                "\"{word}\" is not a {}: use letters, digits and _ only.",
                self.kind.asks_for().unwrap_or("name").to_lowercase()
            )
        })
    }
}

/// What the box and the menu ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourcesAction {
    /// Queue the box's lines.
    AddTyped,
    /// The Galleries menu: open the short form of this gallery.
    OpenForm(GalleryKind),
    /// Queue the short form's gallery.
    AddForm,
    /// Follow the short form's gallery.
    FollowForm,
    CloseForm,
}

/// The box, its Add button and the Galleries menu on one line; `typed` (the box's text)
/// is edited in place.
pub fn sources_ui(ui: &mut egui::Ui, typed: &mut String) -> Option<SourcesAction> {
    let mut action = None;
    ui.horizontal(|ui| {
        let label = ui.strong(SOURCES_BOX);
        let id = egui::Id::unique("sources-box");
        // Enter queues what is in the box; Shift-Enter starts a new line in it.
        let focused = ui.memory(|memory| memory.has_focus(id));
        if focused && !typed.trim().is_empty() && ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Enter))
        {
            action = Some(SourcesAction::AddTyped);
        }
        // The buttons keep their room on the right at any width; the box takes the rest.
        let buttons = 230.0;
        let hint = "Paste Imgur links here, one or many";
        let field = egui::TextEdit::multiline(typed)
            .id(id)
            .hint_text(hint)
            .desired_rows(1)
            .desired_width((ui.available_width() - buttons).max(120.0));
        ui.add(field).labelled_by(label.id).on_hover_text(
            "Each line an Imgur link or a short form (hot/viral/day, r/NAME, album/ID, user/NAME, t/TAG, search:WORDS). Enter queues them; a .txt list can be dropped on the window.",
        );
        let add = ui.add_enabled(!typed.trim().is_empty(), egui::Button::new("Add to queue"));
        if add.on_hover_text("Queue each line of the box").clicked() {
            action = Some(SourcesAction::AddTyped);
        }
        ui.menu_button("Galleries", |ui| {
            for kind in GalleryKind::ALL {
                if ui.button(kind.label()).clicked() {
                    action = Some(SourcesAction::OpenForm(kind));
                    ui.close();
                }
            }
        })
        .response
        .on_hover_text("Queue one of Imgur's galleries: hot, top, a user's, a tag, a subreddit or a search");
    });
    action
}

/// The short form of the gallery picked in the menu, on one wrapped line; edited in place.
pub fn form_ui(ui: &mut egui::Ui, form: &mut GalleryForm) -> Option<SourcesAction> {
    let mut action = None;
    ui.horizontal_wrapped(|ui| {
        ui.label(form.kind.label().trim_end_matches("..."));
        if let Some(asked) = form.kind.asks_for() {
            let label = ui.label(asked);
            let id = egui::Id::unique("gallery-form-word");
            let field = egui::TextEdit::singleline(&mut form.word).id(id).desired_width(160.0);
            let response = ui.add(field).labelled_by(label.id);
            if response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                action = Some(SourcesAction::AddForm);
            }
        }
        if form.kind.sorted() {
            choice(ui, "Sort", &mut form.sort, Sort::ALL);
            choice(ui, "Window", &mut form.window, Window::ALL);
        }
        if ui.button("Queue it").clicked() {
            action = Some(SourcesAction::AddForm);
        }
        let follow = ui.button("Follow").on_hover_text(
            "Follow it into the download folder: each check (Following) downloads only what is new in it",
        );
        if follow.clicked() {
            action = Some(SourcesAction::FollowForm);
        }
        if ui.button("Cancel").clicked() {
            action = Some(SourcesAction::CloseForm);
        }
    });
    if let Some(problem) = &form.problem {
        ui.colored_label(ui.visuals().error_fg_color, problem);
    }
    action
}

fn choice<T: Copy + PartialEq + std::fmt::Display>(ui: &mut egui::Ui, name: &str, value: &mut T, choices: &[T]) {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_gallery_of_the_menu_gives_a_short_form_the_queue_reads() {
        let form = |kind, word: &str| GalleryForm { word: word.into(), ..GalleryForm::new(kind) };
        let cases = [
            (form(GalleryKind::Hot, ""), "hot/viral/day", "/3/gallery/hot/viral/day/0"),
            (form(GalleryKind::Top, ""), "top/top/week", "/3/gallery/top/top/week/0"),
            (form(GalleryKind::User, "someone"), "user/someone", "/3/account/someone/submissions/0"),
            (form(GalleryKind::Tag, " cats "), "t/cats/viral/week", "/3/gallery/t/cats/viral/week/0"),
            (form(GalleryKind::Subreddit, "r/aww"), "r/aww/time/day", "/3/gallery/r/aww/time/day/0"),
            (form(GalleryKind::Search, "red pandas"), "search:red pandas", "/3/gallery/search/time/all/0"),
        ];
        for (form, text, path) in cases {
            let source = form.source().expect(text);
            assert_eq!(source.to_string(), text, "the queue shows its short form");
            assert_eq!(source.api_path(0), path);
            assert_eq!(text.parse::<Source>().expect(text), source, "and it reads back the same");
        }
    }

    #[test]
    fn a_form_without_its_word_or_with_a_bad_one_says_so_plainly() {
        let empty = GalleryForm::new(GalleryKind::Subreddit);
        assert_eq!(empty.source(), Err("Enter the subreddit first.".to_owned()));
        let bad = GalleryForm { word: "no spaces/please".into(), ..GalleryForm::new(GalleryKind::User) };
        let reason = bad.source().expect_err("refused");
        assert!(reason.contains("is not a user name: use letters, digits and _ only"), "{reason}");
    }
}
