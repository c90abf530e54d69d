//! Fake vendor servers for the integration tests: a local axum server on
//! 127.0.0.1:0 that records every request and answers with a responder, and
//! a tiny fake SMTP server.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the fakes"
)]

pub mod schema;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HashMap<String, Vec<String>>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }

    /// Form pairs in order (repeated names kept).
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    pub fn form_value(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

/// What the fake answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Never answer (for timeout tests).
    pub hang: bool,
}

impl Reply {
    pub fn new(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_owned(),
            hang: false,
        }
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_owned(), v.to_owned()));
        self
    }

    pub fn hang() -> Self {
        Self {
            hang: true,
            ..Self::new(200, "")
        }
    }
}

type Responder = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

#[derive(Clone)]
struct AppState {
    requests: Arc<Mutex<Vec<Recorded>>>,
    responder: Responder,
}

pub struct Fake {
    pub base: String,
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Fake {
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("lock").clone()
    }

    pub fn only_request(&self) -> Recorded {
        let r = self.requests();
        assert_eq!(r.len(), 1, "expected exactly one request, got {r:#?}");
        r.into_iter().next().expect("one")
    }
}

async fn handle(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut h: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in &headers {
        h.entry(k.as_str().to_owned())
            .or_default()
            .push(v.to_str().unwrap_or("").to_owned());
    }
    let rec = Recorded {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        headers: h,
        body: body.to_vec(),
    };
    st.requests.lock().expect("lock").push(rec.clone());
    let reply = (st.responder)(&rec);
    if reply.hang {
        std::future::pending::<()>().await;
    }
    let mut resp = (
        StatusCode::from_u16(reply.status).expect("status"),
        reply.body,
    )
        .into_response();
    for (k, v) in reply.headers {
        resp.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
            v.parse().expect("value"),
        );
    }
    resp
}

/// Starts a fake HTTP vendor on 127.0.0.1.
pub async fn start(responder: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Fake {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let state = AppState {
        requests: requests.clone(),
        responder: Arc::new(responder),
    };
    let app = axum::Router::new().fallback(handle).with_state(state);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Fake {
        base: format!("http://{addr}"),
        addr,
        requests,
    }
}

/// What the fake SMTP server received in one transaction.
#[derive(Debug, Clone, Default)]
pub struct SmtpCapture {
    pub mail_from: Vec<String>,
    pub rcpt_to: Vec<String>,
    pub data: Vec<String>,
}

/// A fake SMTP server speaking just enough (EHLO/HELO, MAIL, RCPT, DATA,
/// RSET, NOOP, QUIT). `rcpt_reply` is the answer to RCPT TO.
pub async fn start_smtp(rcpt_reply: &'static str) -> (SocketAddr, Arc<Mutex<SmtpCapture>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let cap = Arc::new(Mutex::new(SmtpCapture::default()));
    let cap2 = cap.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let cap = cap2.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut r = BufReader::new(r);
                let _ = w.write_all(b"220 fake.test ESMTP\r\n").await;
                let mut line = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        break;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: &str = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        "250-fake.test\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("MAIL FROM") {
                        cap.lock()
                            .expect("lock")
                            .mail_from
                            .push(line.trim().to_owned());
                        "250 OK\r\n"
                    } else if upper.starts_with("RCPT TO") {
                        cap.lock()
                            .expect("lock")
                            .rcpt_to
                            .push(line.trim().to_owned());
                        rcpt_reply
                    } else if upper.starts_with("DATA") {
                        let _ = w.write_all(b"354 go ahead\r\n").await;
                        let mut data = String::new();
                        loop {
                            let mut l = String::new();
                            if r.read_line(&mut l).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if l == ".\r\n" {
                                break;
                            }
                            data.push_str(&l);
                        }
                        cap.lock().expect("lock").data.push(data);
                        "250 queued as 42\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        "250 OK\r\n"
                    };
                    if w.write_all(reply.as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (addr, cap)
}

/// A certificate authority made for one test, and a server certificate it
/// signed for `127.0.0.1` and `localhost`.
pub struct TestCa {
    /// The CA certificate, PEM (what `SMTP_CA_FILE` points at).
    pub ca_pem: String,
    /// A TLS server configuration presenting the signed certificate.
    pub server: Arc<rustls::ServerConfig>,
}

impl TestCa {
    pub fn new() -> Self {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let ca_key = KeyPair::generate().expect("ca key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "AgencyFlow test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key).expect("ca cert");
        let issuer = Issuer::new(ca, ca_key);

        let leaf_key = KeyPair::generate().expect("leaf key");
        let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("leaf params");
        leaf.distinguished_name
            .push(DnType::CommonName, "fake.test");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).expect("leaf cert");

        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
        let server = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![leaf_cert.der().clone()], key)
        .expect("server config");
        Self {
            ca_pem: ca_cert.pem(),
            server: Arc::new(server),
        }
    }

    /// The CA written to a PEM file (deleted when the handle drops).
    pub fn ca_file(&self) -> tempfile::NamedTempFile {
        use std::io::Write;
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(self.ca_pem.as_bytes()).expect("write CA");
        f.flush().expect("flush");
        f
    }

    /// The CA as the SMTP transport takes it.
    pub fn roots(&self) -> af_channels::config::RootCertificates {
        af_channels::config::RootCertificates::from_pem_file(self.ca_file().path())
            .expect("CA file")
    }
}

/// How the fake relay protects its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain text, no STARTTLS in the EHLO reply.
    Plain,
    /// Plain text first, STARTTLS offered.
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Implicit,
}

/// One line the client sent, and whether it came inside TLS.
#[derive(Debug, Clone)]
pub struct SmtpLine {
    pub tls: bool,
    pub line: String,
}

/// Everything the TLS-capable fake relay saw.
#[derive(Debug, Clone, Default)]
pub struct SmtpConversation {
    /// Every command line in order, over all connections.
    pub lines: Vec<SmtpLine>,
    /// Each `AUTH PLAIN` payload, decoded (`\0user\0password`).
    pub auth: Vec<String>,
    /// Each message's DATA.
    pub data: Vec<String>,
    /// TLS handshakes the server saw fail.
    pub tls_errors: Vec<String>,
}

impl SmtpConversation {
    /// Position of the first line starting with `verb` (case-insensitive).
    pub fn position(&self, verb: &str) -> Option<usize> {
        self.lines
            .iter()
            .position(|l| l.line.to_ascii_uppercase().starts_with(verb))
    }

    /// Lines starting with `verb`.
    pub fn with_verb(&self, verb: &str) -> Vec<SmtpLine> {
        self.lines
            .iter()
            .filter(|l| l.line.to_ascii_uppercase().starts_with(verb))
            .cloned()
            .collect()
    }
}

/// A fake relay speaking STARTTLS / implicit TLS with `AUTH PLAIN`.
pub struct TlsSmtp {
    pub addr: SocketAddr,
    conv: Arc<Mutex<SmtpConversation>>,
    closed: tokio::sync::watch::Receiver<usize>,
}

impl TlsSmtp {
    pub fn conversation(&self) -> SmtpConversation {
        self.conv.lock().expect("lock").clone()
    }

    /// Waits until `n` connections have ended (so every line the client
    /// sent on them has been read).
    pub async fn wait_closed(&self, n: usize) {
        let mut rx = self.closed.clone();
        tokio::time::timeout(std::time::Duration::from_secs(10), rx.wait_for(|c| *c >= n))
            .await
            .expect("connections closed in time")
            .expect("server alive");
    }
}

/// Starts a fake relay on 127.0.0.1 that records the conversation,
/// presenting `ca`'s server certificate when it speaks TLS.
pub async fn start_tls_smtp(security: SmtpSecurity, ca: &TestCa) -> TlsSmtp {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let conv = Arc::new(Mutex::new(SmtpConversation::default()));
    let (closed_tx, closed) = tokio::sync::watch::channel(0usize);
    let closed_tx = Arc::new(closed_tx);
    let acceptor = tokio_rustls::TlsAcceptor::from(ca.server.clone());
    let conv2 = conv.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (conv, acceptor, closed_tx) = (conv2.clone(), acceptor.clone(), closed_tx.clone());
            tokio::spawn(async move {
                let tls_error = |e: std::io::Error| {
                    conv.lock().expect("lock").tls_errors.push(e.to_string());
                };
                match security {
                    SmtpSecurity::Plain => {
                        smtp_session(tcp, false, false, true, &conv).await;
                    }
                    SmtpSecurity::StartTls => {
                        if let Some(tcp) = smtp_session(tcp, false, true, true, &conv).await {
                            match acceptor.accept(tcp).await {
                                Ok(tls) => {
                                    smtp_session(tls, true, false, false, &conv).await;
                                }
                                Err(e) => tls_error(e),
                            }
                        }
                    }
                    SmtpSecurity::Implicit => match acceptor.accept(tcp).await {
                        Ok(tls) => {
                            smtp_session(tls, true, false, true, &conv).await;
                        }
                        Err(e) => tls_error(e),
                    },
                }
                closed_tx.send_modify(|n| *n += 1);
            });
        }
    });
    TlsSmtp { addr, conv, closed }
}

/// Serves one connection (or its part before / after STARTTLS). Returns
/// the stream when the client asked for STARTTLS and was told to go ahead.
async fn smtp_session<S>(
    stream: S,
    tls: bool,
    offer_starttls: bool,
    greet: bool,
    conv: &Mutex<SmtpConversation>,
) -> Option<S>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use base64::Engine as _;
    let mut s = BufReader::new(stream);
    if greet {
        s.write_all(b"220 fake.test ESMTP\r\n").await.ok()?;
        s.flush().await.ok()?;
    }
    let mut line = String::new();
    loop {
        line.clear();
        if s.read_line(&mut line).await.unwrap_or(0) == 0 {
            return None;
        }
        let text = line.trim_end().to_owned();
        conv.lock().expect("lock").lines.push(SmtpLine {
            tls,
            line: text.clone(),
        });
        let upper = text.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            let starttls = if offer_starttls && !tls {
                "250-STARTTLS\r\n"
            } else {
                ""
            };
            format!("250-fake.test\r\n250-8BITMIME\r\n{starttls}250 AUTH PLAIN\r\n")
        } else if upper == "STARTTLS" {
            if offer_starttls && !tls {
                s.write_all(b"220 2.0.0 ready to start TLS\r\n")
                    .await
                    .ok()?;
                s.flush().await.ok()?;
                return Some(s.into_inner());
            }
            "502 5.5.1 STARTTLS not offered\r\n".to_owned()
        } else if upper.starts_with("AUTH PLAIN ") {
            let payload = base64::engine::general_purpose::STANDARD
                .decode(text["AUTH PLAIN ".len()..].trim())
                .unwrap_or_default();
            conv.lock()
                .expect("lock")
                .auth
                .push(String::from_utf8_lossy(&payload).into_owned());
            "235 2.7.0 authenticated\r\n".to_owned()
        } else if upper.starts_with("DATA") {
            s.write_all(b"354 go ahead\r\n").await.ok()?;
            s.flush().await.ok()?;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if s.read_line(&mut l).await.unwrap_or(0) == 0 {
                    return None;
                }
                if l == ".\r\n" {
                    break;
                }
                data.push_str(&l);
            }
            conv.lock().expect("lock").data.push(data);
            "250 queued as 42\r\n".to_owned()
        } else if upper.starts_with("QUIT") {
            let _ = s.write_all(b"221 bye\r\n").await;
            let _ = s.flush().await;
            return None;
        } else {
            "250 OK\r\n".to_owned()
        };
        s.write_all(reply.as_bytes()).await.ok()?;
        s.flush().await.ok()?;
    }
}
