//! A tiny HTTP/1.1 server for the `diag_http` benchmark: answers every
//! request with `200 ok`, keeping connections alive, on 127.0.0.1 only.
//!
//! `cargo run --release -p af-jobs --example http_stub -- 127.0.0.1:18080`

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok";

async fn serve(mut s: TcpStream) -> std::io::Result<()> {
    let mut buf = vec![0u8; 8192];
    let mut have = 0;
    loop {
        let n = s.read(&mut buf[have..]).await?;
        if n == 0 {
            return Ok(());
        }
        have += n;
        // Answer every complete request head in the buffer (GETs carry no body).
        while let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
            s.write_all(RESPONSE).await?;
            buf.copy_within(end + 4..have, 0);
            have -= end + 4;
        }
        if have == buf.len() {
            return Ok(()); // a head larger than 8 KiB: not ours
        }
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18080".into());
    if !addr.starts_with("127.") {
        eprintln!("http_stub listens on loopback only (127.x.x.x:port)");
        std::process::exit(2);
    }
    let listener = TcpListener::bind(&addr).await?;
    eprintln!("http_stub listening on http://{addr}");
    loop {
        let (s, _) = listener.accept().await?;
        let _ = s.set_nodelay(true);
        tokio::spawn(async move {
            let _ = serve(s).await;
        });
    }
}
