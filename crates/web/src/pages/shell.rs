//! The application shell (navigation, workspace switcher, user menu) and the
//! pages that are only shells for now.

use crate::assets::{self, AssetUrls};
use crate::auth::{CurrentUser, Flash, csrf_token, take_flash};
use crate::error::AppResult;
use crate::i18n::{Tr, tr};
use af_core::Role;
use af_db::workspaces::{Workspace, WorkspaceWithRole};

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    /// Inline SVG (see `crate::icons`).
    pub icon: &'static str,
    pub active: bool,
    /// A count beside the label (unread conversations), kept current by
    /// the inbox script; `None` for areas without one.
    pub badge: Option<i64>,
}

/// The areas of the product, in navigation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Dashboard,
    Contacts,
    Conversations,
    Tasks,
    Pipelines,
    Forms,
    Calendars,
    Automations,
    Messages,
    Reports,
    Settings,
}

impl Area {
    const ALL: [Area; 11] = [
        Area::Dashboard,
        Area::Contacts,
        Area::Conversations,
        Area::Tasks,
        Area::Pipelines,
        Area::Forms,
        Area::Calendars,
        Area::Automations,
        Area::Messages,
        Area::Reports,
        Area::Settings,
    ];

    fn href(self) -> &'static str {
        match self {
            Area::Dashboard => "/dashboard",
            Area::Contacts => "/contacts",
            Area::Conversations => "/conversations",
            Area::Tasks => "/tasks",
            Area::Pipelines => "/pipelines",
            Area::Forms => "/forms",
            Area::Calendars => "/calendars",
            Area::Automations => "/automations",
            Area::Messages => "/messages",
            Area::Reports => "/reports",
            Area::Settings => "/settings",
        }
    }

    fn icon(self) -> &'static str {
        use crate::icons;
        match self {
            Area::Dashboard => icons::HOME,
            Area::Contacts => icons::USERS,
            Area::Conversations => icons::CHAT,
            Area::Tasks => icons::TASKS,
            Area::Pipelines => icons::COLUMNS,
            Area::Forms => icons::DOCUMENT,
            Area::Calendars => icons::CALENDAR,
            Area::Automations => icons::BOLT,
            Area::Messages => icons::ENVELOPE,
            Area::Reports => icons::CHART,
            Area::Settings => icons::COG,
        }
    }

    pub fn label(self, t: &'static Tr) -> &'static str {
        match self {
            Area::Dashboard => t.nav_dashboard,
            Area::Contacts => t.nav_contacts,
            Area::Conversations => t.nav_conversations,
            // "Tasks" lives in the contacts area's strings; `t` is one of the
            // two static `Tr`s, which tells the language.
            Area::Tasks => {
                let locale = if std::ptr::eq(t, &crate::i18n::EN) {
                    af_core::Locale::En
                } else {
                    af_core::Locale::Es
                };
                crate::i18n::contacts::ContactsTr::get(locale).nav_tasks
            }
            Area::Pipelines => t.nav_pipelines,
            Area::Forms => t.nav_forms,
            Area::Calendars => t.nav_calendars,
            Area::Automations => t.nav_automations,
            Area::Messages => t.nav_messages,
            Area::Reports => t.nav_reports,
            Area::Settings => t.nav_settings,
        }
    }
}

/// What the layout template needs on every signed-in page.
pub struct Shell {
    /// The icons the shell itself draws (menu, close).
    pub icons: ShellIcons,
    pub t: &'static Tr,
    pub lang: &'static str,
    pub assets: &'static AssetUrls,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub workspace: Workspace,
    pub workspaces: Vec<WorkspaceWithRole>,
    /// The workspace's brand stylesheet (`/brand/{hex}.css`).
    pub brand_css: String,
    pub user_name: String,
    pub user_email: String,
    pub role_label: &'static str,
    pub role: Role,
    pub flash: Option<Flash>,
    /// The bell's strings and the member's unread count.
    pub nt: &'static crate::i18n::notifications::NotificationsTr,
    pub unread: i64,
}

impl Shell {
    pub async fn new(cu: &CurrentUser, active: Area) -> AppResult<Self> {
        let locale = cu.locale();
        let t = tr(locale);
        let unread_conversations =
            af_db::conversations::unread_total(&cu.db, cu.workspace.id).await?;
        let nav = Area::ALL
            .iter()
            .map(|a| NavItem {
                href: a.href(),
                label: a.label(t),
                icon: a.icon(),
                active: *a == active,
                badge: (*a == Area::Conversations).then_some(unread_conversations),
            })
            .collect();
        Ok(Shell {
            icons: ShellIcons {
                menu: crate::icons::MENU,
                close: crate::icons::CLOSE,
                language: crate::icons::LANGUAGE,
                search: crate::icons::SEARCH,
                bell: crate::icons::BELL,
            },
            t,
            lang: locale.as_str(),
            assets: assets::urls(),
            csrf: csrf_token(&cu.session).await?,
            nav,
            brand_css: assets::brand_css_path(
                cu.workspace.brand_color.as_deref().unwrap_or("#4f46e5"),
            ),
            workspace: cu.workspace.clone(),
            workspaces: cu.workspaces.clone(),
            user_name: cu.user.name.clone(),
            user_email: cu.user.email.clone(),
            role_label: t.role(cu.role),
            role: cu.role,
            flash: take_flash(&cu.session).await?,
            nt: crate::i18n::notifications::NotificationsTr::get(locale),
            unread: af_db::notifications::unread_count(&cu.db, cu.workspace.id, cu.user.id).await?,
        })
    }
}

/// Icons of the shell's own controls.
pub struct ShellIcons {
    pub menu: &'static str,
    pub close: &'static str,
    pub language: &'static str,
    pub search: &'static str,
    pub bell: &'static str,
}
