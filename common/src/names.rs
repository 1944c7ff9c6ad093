//! The names the course gives its nodes, so every section's tests speak the same language.
//!
//! ```
//! use common::names::{ALICE, ATHENS, THREE};
//! # use common::echo::EchoServer;
//! let mut cluster = common::Cluster::builder().servers(THREE).build(|_, _| EchoServer::new(5));
//! cluster.add_client(ALICE);
//! assert_eq!(cluster.servers()[0], ATHENS);
//! ```

/// A server.
pub const ATHENS: &str = "athens";
/// A server.
pub const BYZANTIUM: &str = "byzantium";
/// A server.
pub const CYRENE: &str = "cyrene";
/// A server.
pub const DELPHI: &str = "delphi";
/// A server.
pub const EPHESUS: &str = "ephesus";
/// A server (the quorum lessons' fifth node, as in the original workshop).
pub const SPARTA: &str = "sparta";
/// A client.
pub const ALICE: &str = "alice";
/// A client.
pub const BOB: &str = "bob";
/// A client.
pub const CAROL: &str = "carol";

/// A three-server cluster.
pub const THREE: [&str; 3] = [ATHENS, BYZANTIUM, CYRENE];
/// A five-server cluster.
pub const FIVE: [&str; 5] = [ATHENS, BYZANTIUM, CYRENE, DELPHI, EPHESUS];
