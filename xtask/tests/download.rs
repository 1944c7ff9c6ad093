//! Locating and downloading tla2tools.jar, against a local HTTP server on 127.0.0.1.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use xtask::download::{self, DownloadError, Policy};
use xtask::jar::{self, JarEnv, JarSource, Lookup};
use xtask::manifest::{AcceptedJar, TlcPin};

const JAR: &[u8] = b"PK\x03\x04 not really a jar, but bytes with a known hash";

fn jar_sha() -> String {
    download::sha256_of(JAR).expect("hashing memory cannot fail")
}

/// One canned HTTP answer per connection, in order.
#[derive(Clone)]
enum Reply {
    Ok(Vec<u8>),
    Status(u16),
    /// Announces more bytes than it sends, then closes the connection.
    Truncated(Vec<u8>),
}

/// Serves `replies` on 127.0.0.1, one per connection, then stops. Returns the base URL.
fn serve(replies: Vec<Reply>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let address = listener.local_addr().expect("local address");
    // A real socket server needs its own thread; this is test scaffolding, not simulation.
    #[allow(clippy::disallowed_methods)]
    std::thread::spawn(move || {
        for reply in replies {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            read_request(&mut stream);
            let _ = match reply {
                Reply::Ok(body) => respond(&mut stream, "200 OK", body.len(), &body),
                Reply::Status(code) => respond(&mut stream, &format!("{code} Oops"), 0, b""),
                Reply::Truncated(body) => respond(&mut stream, "200 OK", body.len() * 2, &body),
            };
        }
    });
    format!("http://{address}")
}

fn read_request(stream: &mut TcpStream) {
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => seen.push(byte[0]),
            _ => return,
        }
    }
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    length: usize,
    body: &[u8],
) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    )?;
    stream.write_all(body)?;
    stream.flush()
}

/// A URL on 127.0.0.1 where nothing listens.
fn dead_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let address = listener.local_addr().expect("local address");
    drop(listener);
    format!("http://{address}/tla2tools.jar")
}

fn fast() -> Policy {
    Policy {
        attempts: 2,
        backoff: Duration::from_millis(10),
        connect_timeout: Duration::from_secs(2),
        transfer_timeout: Duration::from_secs(5),
        max_bytes: 1024 * 1024,
    }
}

fn pin(url: String) -> TlcPin {
    TlcPin {
        version: "1.7.4".to_string(),
        url,
        sha256: jar_sha(),
        min_java: 11,
        accepted: Vec::new(),
    }
}

fn cache_env(dir: &Path) -> JarEnv {
    JarEnv {
        tlc_cache_dir: Some(dir.join("cache").into_os_string()),
        ..JarEnv::default()
    }
}

fn lookup(pin: &TlcPin, env: JarEnv) -> Lookup<'_> {
    Lookup {
        pin,
        flag: None,
        env,
        offline: false,
        allow_unverified: false,
        policy: fast(),
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> PathBuf {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create parent");
    }
    std::fs::write(path, bytes).expect("write file");
    path.to_path_buf()
}

#[test]
fn good_download_is_verified_and_renamed_into_place() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let dest = dir.path().join("jar/tla2tools.jar");
    let url = format!("{}/tla2tools.jar", serve(vec![Reply::Ok(JAR.to_vec())]));
    download::download_verified(&url, &jar_sha(), &dest, &fast()).expect("a good file downloads");
    assert_eq!(
        std::fs::read(&dest).expect("the jar exists"),
        JAR,
        "the file is what was served"
    );
    assert!(
        !download::partial_path(&dest).exists(),
        "no .partial file is left behind"
    );
}

#[test]
fn checksum_mismatch_is_refused_and_nothing_is_kept() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let dest = dir.path().join("tla2tools.jar");
    let url = format!(
        "{}/tla2tools.jar",
        serve(vec![Reply::Ok(b"tampered".to_vec())])
    );
    let error =
        download::download_verified(&url, &jar_sha(), &dest, &fast()).expect_err("wrong bytes");
    assert!(
        matches!(error, DownloadError::ChecksumMismatch { .. }),
        "got {error:?}"
    );
    assert!(
        !dest.exists(),
        "a file with the wrong hash must never be installed"
    );
    assert!(
        !download::partial_path(&dest).exists(),
        "the bad download is deleted"
    );
}

#[test]
fn a_stale_partial_file_is_never_used() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let dest = dir.path().join("tla2tools.jar");
    // Even a complete, correct .partial left by an interrupted run is not trusted.
    write_file(&download::partial_path(&dest), JAR);
    let error = download::download_verified(&dead_url(), &jar_sha(), &dest, &fast())
        .expect_err("the server is down");
    assert!(
        matches!(error, DownloadError::Unreachable { attempts: 2, .. }),
        "got {error:?}"
    );
    assert!(
        !dest.exists(),
        "the .partial must not be renamed into place"
    );
}

#[test]
fn a_truncated_body_is_retried_and_then_succeeds() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let dest = dir.path().join("tla2tools.jar");
    let base = serve(vec![
        Reply::Truncated(JAR[..10].to_vec()),
        Reply::Ok(JAR.to_vec()),
    ]);
    download::download_verified(&format!("{base}/tla2tools.jar"), &jar_sha(), &dest, &fast())
        .expect("the second attempt gets the whole file");
    assert_eq!(std::fs::read(&dest).expect("the jar exists"), JAR);
}

#[test]
fn server_errors_are_retried_up_to_the_attempt_limit() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let dest = dir.path().join("tla2tools.jar");
    let base = serve(vec![Reply::Status(503), Reply::Status(500)]);
    let error =
        download::download_verified(&format!("{base}/tla2tools.jar"), &jar_sha(), &dest, &fast())
            .expect_err("every attempt failed");
    match error {
        DownloadError::Unreachable { attempts, last } => {
            assert_eq!(attempts, 2, "both attempts were made");
            assert!(last.contains("500"), "the last error is reported: {last}");
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
    assert!(!dest.exists());
}

#[test]
fn server_down_gives_the_exit_2_message_with_url_hash_cache_and_alternatives() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let pin = pin(dead_url());
    let env = cache_env(dir.path());
    let cache = jar::cache_path(&pin, &env).expect("a cache path");
    let failure = jar::locate(&lookup(&pin, env)).expect_err("nothing to download from");
    assert_eq!(
        failure.exit_code(),
        2,
        "an unreachable server is an environment problem"
    );
    let text = failure.to_string();
    for needle in [
        pin.url.as_str(),
        pin.sha256.as_str(),
        &cache.display().to_string(),
        "tlc-fetch --from",
        "TLA2TOOLS_JAR",
        "--engine tla-rs",
        "Nothing was run",
    ] {
        assert!(
            text.contains(needle),
            "the message must mention {needle:?}:\n{text}"
        );
    }
}

#[test]
fn offline_mode_never_downloads_and_says_so() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("{}/tla2tools.jar", serve(vec![Reply::Ok(JAR.to_vec())]));
    let pin = pin(url);
    let mut lookup = lookup(&pin, cache_env(dir.path()));
    lookup.offline = true;
    let failure = jar::locate(&lookup).expect_err("offline with an empty cache");
    assert_eq!(failure.exit_code(), 2);
    assert!(failure.to_string().contains("offline"), "{failure}");
}

#[test]
fn download_fills_the_cache_and_the_next_lookup_uses_it() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("{}/tla2tools.jar", serve(vec![Reply::Ok(JAR.to_vec())]));
    let pin = pin(url);
    let first = jar::locate(&lookup(&pin, cache_env(dir.path()))).expect("downloaded");
    assert_eq!(first.source, JarSource::Downloaded);
    // The server served one reply and is gone: the second lookup must not need it.
    let second = jar::locate(&lookup(&pin, cache_env(dir.path()))).expect("cached");
    assert_eq!(second.source, JarSource::Cache);
    assert_eq!(second.path, first.path);
}

#[test]
fn jar_location_order_is_flag_then_environment_then_cache() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let pin = pin(dead_url());
    let flag = write_file(&dir.path().join("flag.jar"), JAR);
    let variable = write_file(&dir.path().join("variable.jar"), JAR);
    let env = cache_env(dir.path());
    write_file(&jar::cache_path(&pin, &env).expect("cache path"), JAR);

    let mut both = lookup(
        &pin,
        JarEnv {
            tla2tools_jar: Some(variable.clone().into_os_string()),
            ..env.clone()
        },
    );
    both.flag = Some(flag.clone());
    let found = jar::locate(&both).expect("flag jar");
    assert_eq!(
        (found.source, found.path),
        (JarSource::Flag, flag),
        "--jar wins"
    );

    both.flag = None;
    let found = jar::locate(&both).expect("variable jar");
    assert_eq!(
        (found.source, found.path),
        (JarSource::Environment, variable),
        "TLA2TOOLS_JAR is next"
    );

    let found = jar::locate(&lookup(&pin, env)).expect("cached jar");
    assert_eq!(
        found.source,
        JarSource::Cache,
        "the user cache comes last before a download"
    );
}

#[test]
fn a_jar_with_another_hash_is_refused_unless_explicitly_allowed() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let pin = pin(dead_url());
    let other = write_file(&dir.path().join("other.jar"), b"a different TLC");
    let mut explicit = lookup(&pin, cache_env(dir.path()));
    explicit.flag = Some(other);
    let failure = jar::locate(&explicit).expect_err("unverified jar");
    assert_eq!(failure.exit_code(), 2);
    assert!(
        failure.to_string().contains("--allow-unverified-jar"),
        "{failure}"
    );
    explicit.allow_unverified = true;
    let jar = jar::locate(&explicit).expect("allowed on purpose");
    assert!(
        !jar.verified,
        "the jar is marked unverified so the summary can say so"
    );
}

/// A build listed under `[[tlc.accepted]]` (the jar a package registry carries) is
/// verified by its hash when given explicitly, and named in reports.
#[test]
fn a_jar_of_an_accepted_build_is_verified_and_named() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let other = write_file(&dir.path().join("other.jar"), b"a different TLC");
    let other_sha = download::sha256_file(&other).expect("hash");
    let mut pin = pin(dead_url());
    pin.accepted.push(AcceptedJar {
        name: "TLC 2.15 from a package registry".to_string(),
        sha256: other_sha,
    });
    let mut explicit = lookup(&pin, cache_env(dir.path()));
    explicit.flag = Some(other);
    let jar = jar::locate(&explicit).expect("an accepted build needs no override");
    assert!(jar.verified, "an accepted build must count as verified");
    assert_eq!(
        jar.build.as_deref(),
        Some("TLC 2.15 from a package registry"),
        "the report must say which build runs"
    );
}

#[test]
fn a_corrupt_cached_jar_is_replaced_by_a_fresh_download() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("{}/tla2tools.jar", serve(vec![Reply::Ok(JAR.to_vec())]));
    let pin = pin(url);
    let env = cache_env(dir.path());
    let cache = write_file(
        &jar::cache_path(&pin, &env).expect("cache path"),
        b"corrupt",
    );
    let jar = jar::locate(&lookup(&pin, env)).expect("downloaded again");
    assert_eq!(jar.source, JarSource::Downloaded);
    assert_eq!(std::fs::read(cache).expect("cache"), JAR);
}

#[test]
fn cache_directory_prefers_tlc_cache_dir_then_xdg_then_home() {
    let pin = pin(dead_url());
    let all = JarEnv {
        tlc_cache_dir: Some("/c".into()),
        xdg_cache_home: Some("/x".into()),
        home: Some("/h".into()),
        ..JarEnv::default()
    };
    assert_eq!(
        jar::cache_path(&pin, &all),
        Some(PathBuf::from("/c/tla2tools-1.7.4.jar"))
    );
    let no_override = JarEnv {
        tlc_cache_dir: None,
        ..all.clone()
    };
    assert_eq!(
        jar::cache_path(&pin, &no_override),
        Some(PathBuf::from("/x/pods-workshop/tla2tools-1.7.4.jar"))
    );
    let home_only = JarEnv {
        home: Some("/h".into()),
        ..JarEnv::default()
    };
    assert_eq!(
        jar::cache_path(&pin, &home_only),
        Some(PathBuf::from("/h/.cache/pods-workshop/tla2tools-1.7.4.jar")),
        "outside target/, so cargo clean keeps it"
    );
}

#[test]
fn import_copies_a_verified_jar_into_the_cache_and_refuses_a_wrong_one() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let pin = pin(dead_url());
    let env = cache_env(dir.path());
    let wrong = write_file(&dir.path().join("wrong.jar"), b"nope");
    let failure = jar::import(&pin, &env, &wrong).expect_err("wrong hash");
    assert_eq!(failure.exit_code(), 2);
    let good = write_file(&dir.path().join("good.jar"), JAR);
    let cached = jar::import(&pin, &env, &good).expect("verified import");
    assert_eq!(std::fs::read(cached).expect("cached jar"), JAR);
}
