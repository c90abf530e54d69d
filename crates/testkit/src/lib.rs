#![doc = include_str!("../README.md")]

use af_core::crypto::SecretKey;
use af_core::{ManualClock, Role};
use af_db::testing::{TestDb, fresh_db};
use af_db::workspaces::Workspace;
use af_db::{Db, Ts};
use af_service::provision;
use af_web::{AppState, WebConfig};
use std::collections::BTreeMap;
use std::sync::Arc;

pub mod areas;
pub mod fakes;

/// The instant every test starts at (a Saturday, before a DST change in
/// several of our markets).
pub fn start_time() -> jiff::Timestamp {
    "2026-03-07T15:00:00Z".parse().expect("valid constant")
}

/// A running server on its own database.
pub struct TestApp {
    pub base_url: String,
    pub db: Db,
    pub clock: ManualClock,
    pub state: AppState,
    _db: TestDb,
    server: tokio::task::JoinHandle<()>,
}

/// Another server process on a [`TestApp`]'s database.
pub struct Node {
    pub base_url: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Node {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server, letting the test adjust the web config first.
    pub async fn spawn_with(adjust: impl FnOnce(&mut WebConfig)) -> TestApp {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tdb = fresh_db().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let base_url = format!("http://{addr}");
        let mut config = WebConfig::new(&base_url);
        // Tests run on a frozen clock: one window for the whole test.
        config.api_requests_per_minute = 1_000_000;
        adjust(&mut config);
        let clock = ManualClock::new(start_time());
        let secret = SecretKey::from_text(&"test-secret-".repeat(4)).expect("key");
        let state = AppState::new(tdb.db.clone(), Arc::new(clock.clone()), config, secret);
        let app = af_web::router(state.clone())
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        let server = tokio::spawn(async move {
            let _ = axum_serve(listener, app).await;
        });
        TestApp {
            base_url,
            db: tdb.db.clone(),
            clock,
            state,
            _db: tdb,
            server,
        }
    }

    pub fn now(&self) -> Ts {
        self.state.now()
    }

    /// A job worker with the automation engine's handlers, on the test
    /// clock: tests run due jobs with [`TestApp::run_jobs`].
    pub fn engine_worker(&self) -> af_jobs::Worker {
        let mut r = af_jobs::Registry::new();
        af_engine::register(&mut r, self.state.engine_config()).expect("register engine");
        let mut c = af_jobs::WorkerConfig::new("test-worker");
        c.batch_size = 50;
        af_jobs::Worker::new(self.db.clone(), Arc::new(self.clock.clone()), r, c)
    }

    /// Runs due jobs with `worker` until none is left.
    pub async fn run_jobs(&self, worker: &af_jobs::Worker) {
        for _ in 0..500 {
            if worker.run_once().await.expect("run jobs").claimed == 0 {
                return;
            }
        }
        panic!("jobs kept coming");
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.base_url)
    }

    /// A plain client without cookies (API calls).
    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// A second server on the same database with its own connection pool,
    /// like another process of a deployment: nothing in memory is shared
    /// with this one but the test's clock.
    pub async fn second_node(&self) -> Node {
        let db = af_db::Db::connect(&self._db.url)
            .await
            .expect("second pool");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = AppState::new(
            db,
            Arc::new(self.clock.clone()),
            (*self.state.config).clone(),
            self.state.secret.clone(),
        );
        let app =
            af_web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
        let server = tokio::spawn(async move {
            let _ = axum_serve(listener, app).await;
        });
        Node {
            base_url: format!("http://{addr}"),
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

async fn axum_serve(
    listener: tokio::net::TcpListener,
    app: axum::extract::connect_info::IntoMakeServiceWithConnectInfo<
        axum::Router,
        std::net::SocketAddr,
    >,
) -> std::io::Result<()> {
    axum::serve(listener, app).await
}

/// A cookie-keeping client that posts forms with the CSRF token of the last
/// HTML page it received, as a browser submitting that page would.
pub struct Browser {
    pub client: reqwest::Client,
    base: String,
    csrf: std::sync::Mutex<Option<String>>,
}

/// A response read whole.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    /// Whether the text appears in the body, as HTML-escaped text would be.
    pub fn contains(&self, text: &str) -> bool {
        self.body.contains(text)
    }
}

/// The value of `<meta name="csrf-token" content="...">` in a page.
pub fn csrf_from(body: &str) -> Option<String> {
    let i = body.find("name=\"csrf-token\" content=\"")? + "name=\"csrf-token\" content=\"".len();
    let rest = &body[i..];
    Some(rest[..rest.find('"')?].to_string())
}

/// The first `value="..."` of the input with `data-testid="{id}"`.
pub fn testid_value(body: &str, id: &str) -> Option<String> {
    let marker = format!("data-testid=\"{id}\"");
    let pos = body.find(&marker)?;
    let start = body[..pos].rfind('<')?;
    let tag = &body[start..pos + marker.len() + body[pos..].find('>').unwrap_or(0)];
    let v = tag.find("value=\"")? + 7;
    Some(tag[v..v + tag[v..].find('"')?].to_string())
}

impl Browser {
    pub fn new(base: &str) -> Self {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Browser {
            client,
            base: base.to_string(),
            csrf: std::sync::Mutex::new(None),
        }
    }

    async fn read(&self, res: reqwest::Response) -> Page {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let location = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = res.text().await.expect("body");
        if let Some(t) = csrf_from(&body) {
            *self.csrf.lock().expect("lock") = Some(t);
        }
        Page {
            status,
            location,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        self.read(res).await
    }

    /// Follows redirects (GET) up to 5 times.
    pub async fn get_follow(&self, path: &str) -> Page {
        let mut page = self.get(path).await;
        for _ in 0..5 {
            match (&page.location, page.status) {
                (Some(loc), 301..=308) => page = self.get(&loc.clone()).await,
                _ => break,
            }
        }
        page
    }

    /// Posts a form with the current CSRF token added as `_csrf`.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf.lock().expect("lock").clone().unwrap_or_default();
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("_csrf", &token));
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .form(&form)
            .send()
            .await
            .expect("POST");
        self.read(res).await
    }

    /// Posts a form as htmx does: the `HX-Request` header and the CSRF
    /// token in `X-CSRF-Token` (the answer is a fragment).
    pub async fn hx_post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf.lock().expect("lock").clone().unwrap_or_default();
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("hx-request", "true")
            .header("x-csrf-token", token)
            .form(fields)
            .send()
            .await
            .expect("POST");
        self.read(res).await
    }

    /// Posts a form exactly as given (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .expect("POST");
        self.read(res).await
    }

    /// Signs in through the login form; panics unless it redirects.
    pub async fn login(&self, email: &str, password: &str) {
        self.get("/login").await;
        let page = self
            .post("/login", &[("email", email), ("password", password)])
            .await;
        assert_eq!(page.status, 303, "login of {email} failed: {}", page.body);
    }
}

/// A JSON API client holding one workspace's key (the web tests' one way
/// of calling `/api/v1`).
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub key: String,
}

impl Api {
    /// A client for `tenant`'s key against `app`.
    pub fn of(app: &TestApp, tenant: &Tenant) -> Api {
        Api {
            http: app.http(),
            base: app.base_url.clone(),
            key: tenant.api_key.clone(),
        }
    }

    /// Sends `body` (if any) as JSON; answers the status and the body read
    /// as JSON (`Null` when it is not JSON).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut req = self
            .http
            .request(
                method.parse().expect("method"),
                format!("{}{path}", self.base),
            )
            .bearer_auth(&self.key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }
}

/// A tenant with an owner, a member, a key, a message and an invitation.
pub struct Tenant {
    pub ws: Workspace,
    pub owner_email: String,
    pub member_email: String,
    pub member_id: af_core::UserId,
    pub password: String,
    pub api_key: String,
    pub api_key_id: af_core::ApiKeyId,
    pub message_id: af_core::MessageId,
    pub invitation_id: af_core::InvitationId,
    /// A contact with one deal in the default pipeline's first stage.
    pub contact_id: af_core::ContactId,
    pub deal_id: af_core::DealId,
    pub pipeline_id: af_core::PipelineId,
    pub stage_id: af_core::StageId,
    /// Ids added by area fixtures (`areas::*::seed`), by name.
    pub ids: BTreeMap<&'static str, String>,
}

pub const PASSWORD: &str = "correct horse battery";

/// Creates a tenant named `slug` directly through the provisioning code.
pub async fn tenant(app: &TestApp, slug: &str) -> Tenant {
    let now = app.now();
    let ws = provision::create_workspace(
        &app.db,
        slug,
        &format!("{slug} agency"),
        None,
        None,
        None,
        now,
    )
    .await
    .expect("workspace");
    let owner_email = format!("owner@{slug}.test");
    let member_email = format!("member@{slug}.test");
    let owner = provision::add_user(
        &app.db,
        &ws,
        &owner_email,
        Some("Owner"),
        PASSWORD,
        Role::Owner,
        now,
    )
    .await
    .expect("owner");
    let member = provision::add_user(
        &app.db,
        &ws,
        &member_email,
        Some("Member"),
        PASSWORD,
        Role::Member,
        now,
    )
    .await
    .expect("member");
    let key = provision::create_api_key(&app.db, &ws, "test key", now)
        .await
        .expect("key");
    let mut tx = app.db.begin().await.expect("tx");
    let message = af_db::messages::NewMessage {
        workspace: ws.id,
        channel: af_core::vocab::Channel::Email,
        provider: "outbox",
        to: "lead@example.com",
        from: None,
        subject: Some("Hola"),
        body_text: "Hola",
        body_html: None,
        category: "marketing",
        status: af_core::vocab::MessageStatus::Sent,
        ..Default::default()
    };
    let message_id = af_db::messages::insert_message(&mut tx, &message, now)
        .await
        .expect("message");
    let expires = Ts::new(now.0 + jiff::SignedDuration::from_hours(48));
    let invitation_id = af_db::auth_tokens::insert_invitation(
        &mut tx,
        ws.id,
        "guest@example.com",
        Role::Member,
        &af_core::crypto::sha256_hex(&af_core::crypto::random_token(16)),
        Some(owner.user.id),
        now,
        expires,
    )
    .await
    .expect("invitation");
    let contact = af_db::contacts::upsert_contact(
        &mut tx,
        ws.id,
        &af_db::contacts::ContactInput {
            first_name: "Lucía".into(),
            last_name: "Gómez".into(),
            email: Some(format!("lucia@{slug}.test")),
            ..Default::default()
        },
        &af_core::Actor::system(),
        now,
    )
    .await
    .expect("contact")
    .contact;
    let deal = af_db::deals::insert_deal(
        &mut tx,
        ws.id,
        &af_db::deals::NewDeal {
            contact_id: contact.id,
            pipeline_id: None,
            stage_id: None,
            title: "Sitio web".into(),
            value_minor: 1_500_000,
            currency: "MXN".into(),
            owner_id: None,
        },
        &af_core::Actor::system(),
        now,
    )
    .await
    .expect("deal");
    tx.commit().await.expect("commit");
    let mut t = Tenant {
        ws,
        owner_email,
        member_email,
        member_id: member.user.id,
        password: PASSWORD.into(),
        api_key: key.key,
        api_key_id: key.id,
        message_id,
        invitation_id,
        contact_id: contact.id,
        deal_id: deal.id,
        pipeline_id: deal.pipeline_id,
        stage_id: deal.stage_id,
        ids: BTreeMap::new(),
    };
    areas::seed_all(app, &mut t).await;
    t
}

/// Two independent tenants on one server.
pub struct TwoTenants {
    pub app: TestApp,
    pub a: Tenant,
    pub b: Tenant,
}

pub async fn two_workspaces() -> TwoTenants {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    let b = tenant(&app, "bravo").await;
    TwoTenants { app, a, b }
}

/// How a route is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Signed in through the browser (session cookie + CSRF token).
    Page,
    /// With an API key.
    Api,
}

/// A route that takes an id.
#[derive(Debug, Clone)]
pub struct IdRoute {
    pub via: Via,
    pub method: &'static str,
    pub path: String,
    /// Form fields sent with a page POST (the id may be one of them); for
    /// API calls, the fields of a JSON object body.
    pub form: Vec<(&'static str, String)>,
}

/// Every route that takes an id, filled with `other`'s ids. Every capability
/// adds its routes here; the tenancy test requires each to answer 404 to
/// a user or key of another workspace.
pub fn cross_workspace_routes(other: &Tenant) -> Vec<IdRoute> {
    let page = |method, path: String, form: Vec<(&'static str, String)>| IdRoute {
        via: Via::Page,
        method,
        path,
        form,
    };
    let api = |method, path: String| IdRoute {
        via: Via::Api,
        method,
        path,
        form: vec![],
    };
    vec![
        page("GET", format!("/messages/{}", other.message_id), vec![]),
        page(
            "POST",
            format!("/settings/members/{}/role", other.member_id),
            vec![("role", "admin".into())],
        ),
        page(
            "POST",
            format!("/settings/members/{}/remove", other.member_id),
            vec![],
        ),
        page(
            "POST",
            format!("/settings/invitations/{}/revoke", other.invitation_id),
            vec![],
        ),
        page(
            "POST",
            format!("/settings/api-keys/{}/revoke", other.api_key_id),
            vec![],
        ),
        page(
            "POST",
            "/workspaces/switch".into(),
            vec![("workspace_id", other.ws.id.to_string())],
        ),
        api("GET", format!("/api/v1/api-keys/{}", other.api_key_id)),
        api("GET", format!("/api/v1/contacts/{}", other.contact_id)),
        IdRoute {
            via: Via::Api,
            method: "PATCH",
            path: format!("/api/v1/contacts/{}", other.contact_id),
            form: vec![("company", "Hacked".into())],
        },
        api("DELETE", format!("/api/v1/contacts/{}", other.contact_id)),
        api(
            "GET",
            format!("/api/v1/contacts/{}/timeline", other.contact_id),
        ),
        api("GET", format!("/api/v1/deals/{}", other.deal_id)),
        IdRoute {
            via: Via::Api,
            method: "PATCH",
            path: format!("/api/v1/deals/{}", other.deal_id),
            form: vec![("stage_id", other.stage_id.to_string())],
        },
    ]
    .into_iter()
    .chain(areas::routes_all(other))
    .collect()
}
