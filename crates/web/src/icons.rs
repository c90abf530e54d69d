//! Inline SVG icons (Heroicons 2.2.0, 24 px outline, MIT; vendored unchanged
//! in `assets/vendor/heroicons/`). Inlined into the page at compile time, so
//! an icon costs no request, inherits the text colour (`stroke:
//! currentColor`) and is `aria-hidden`: every icon sits next to a visible or
//! screen-reader label. Templates size them with a wrapper class such as
//! `[&>svg]:size-5`.

macro_rules! icon {
    ($name:ident, $file:literal) => {
        pub const $name: &str =
            include_str!(concat!("../../../assets/vendor/heroicons/", $file, ".svg"));
    };
}

icon!(HOME, "home");
icon!(USERS, "users");
icon!(TASKS, "clipboard-document-check");
icon!(COLUMNS, "view-columns");
icon!(DOCUMENT, "document-text");
icon!(CALENDAR, "calendar-days");
icon!(BOLT, "bolt");
icon!(CHAT, "chat-bubble-left-right");
icon!(ENVELOPE, "envelope");
icon!(CHART, "chart-bar");
icon!(COG, "cog-6-tooth");
icon!(MENU, "bars-3");
icon!(CLOSE, "x-mark");
icon!(SEARCH, "magnifying-glass");
icon!(LANGUAGE, "language");
icon!(BELL, "bell");

#[cfg(test)]
mod tests {
    #[test]
    fn icons_are_decorative_svg() {
        for svg in [super::HOME, super::MENU, super::COG, super::CLOSE] {
            assert!(svg.trim_start().starts_with("<svg"));
            assert!(svg.contains(r#"aria-hidden="true""#));
            assert!(!svg.contains("<script"));
        }
    }
}
