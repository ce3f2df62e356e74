//! The `chorus-relay` binary as an operator runs it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_chorus-relay");

#[test]
fn help_documents_every_subcommand_and_option() {
    let top = Command::new(BINARY)
        .arg("--help")
        .output()
        .expect("run --help");
    assert!(top.status.success());
    let text = String::from_utf8_lossy(&top.stdout);
    assert!(text.contains("serve"), "{text}");

    let serve = Command::new(BINARY)
        .args(["serve", "--help"])
        .output()
        .expect("run serve --help");
    let text = String::from_utf8_lossy(&serve.stdout);
    for option in [
        "--listen",
        "--data-dir",
        "--database-url",
        "CHORUS_LISTEN",
        "CHORUS_DATA_DIR",
        "DATABASE_URL",
    ] {
        assert!(text.contains(option), "serve --help lacks {option}: {text}");
    }
}

#[test]
fn serve_creates_its_data_directory_answers_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let data_dir = dir.path().join("nested").join("data");
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        probe.local_addr().expect("address").port()
    };
    let mut child = Command::new(BINARY)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("CHORUS_DATA_DIR", &data_dir)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start relay");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let ready = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|line| line.contains("relay ready"));
    assert!(ready, "the relay logs when it is ready");

    let deadline = Instant::now() + Duration::from_secs(30);
    let answered = loop {
        match std::net::TcpStream::connect(("127.0.0.1", port)) {
            Ok(mut stream) => {
                use std::io::{Read, Write};
                stream
                    .write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .expect("write");
                let mut answer = String::new();
                stream.read_to_string(&mut answer).expect("read");
                break answer;
            }
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("relay did not listen: {e}"),
        }
    };
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    assert!(
        data_dir.join("chorus.db").exists(),
        "SQLite file in the data directory"
    );

    let pid = child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("relay exits");
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}

#[test]
fn an_unusable_database_url_is_a_clear_error() {
    let output = Command::new(BINARY)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            "mysql://x",
        ])
        .output()
        .expect("run");
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(
        text.contains("sqlite://") && text.contains("postgres://"),
        "{text}"
    );
}

#[test]
fn credits_are_granted_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let grant = |args: &[&str]| {
        Command::new(BINARY)
            .args(["credits", "grant", "--data-dir"])
            .arg(dir.path())
            .args(args)
            .output()
            .expect("run credits grant")
    };
    let unknown = grant(&["--user", "nobody@example.test", "--amount", "10"]);
    assert!(!unknown.status.success(), "an unknown user is an error");
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("No user"));

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let url = format!("sqlite://{}", dir.path().join("chorus.db").display());
    runtime.block_on(async {
        use chorus_relay::store::AccountStore;
        let store = chorus_relay::store::SqliteStore::open(&url)
            .await
            .expect("open");
        store
            .create_user(
                uuid::Uuid::now_v7(),
                "owner@example.test",
                "hash",
                chrono::Utc::now(),
            )
            .await
            .expect("user");
    });
    let granted = grant(&[
        "--user",
        "owner@example.test",
        "--amount",
        "25",
        "--plan",
        "monthly",
    ]);
    assert!(
        granted.status.success(),
        "{}",
        String::from_utf8_lossy(&granted.stderr)
    );
    assert!(String::from_utf8_lossy(&granted.stdout).contains("granted 25 credits (monthly plan)"));
    let zero = grant(&["--user", "owner@example.test", "--amount", "0"]);
    assert!(!zero.status.success(), "a grant of nothing is refused");
}
