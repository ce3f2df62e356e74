//! Live connections: at most one host per number, and every sidebar with the
//! accounts it may watch. Events fan out from here.
//!
//! Each connection owns a bounded outbox; a client too slow to drain it is
//! disconnected rather than buffered without limit (it reconnects and catches
//! up from its cursor).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chorus_shared::error::ErrorDetail;
use chorus_shared::protocol::ServerFrame;
use tokio::sync::{mpsc, Notify};
use uuid::Uuid;

use crate::store::AccountRef;

/// Frames queued for one connection before it counts as stuck.
pub const OUTBOX_CAPACITY: usize = 1024;

/// What a connection's writer task sends.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// A frame to write.
    Frame(Box<ServerFrame>),
    /// Tell the client why, then close.
    Close(ErrorDetail),
}

/// A connection's outbox, and the signal that it overflowed.
#[derive(Clone)]
pub struct Outbox {
    frames: mpsc::Sender<Outbound>,
    stuck: Arc<Notify>,
}

impl Outbox {
    /// An outbox, the receiver its writer drains, and the overflow signal.
    pub fn new() -> (Self, mpsc::Receiver<Outbound>, Arc<Notify>) {
        let (frames, receiver) = mpsc::channel(OUTBOX_CAPACITY);
        let stuck = Arc::new(Notify::new());
        let outbox = Self {
            frames,
            stuck: Arc::clone(&stuck),
        };
        (outbox, receiver, stuck)
    }

    /// Queues a frame; if the client is not keeping up, signals it stuck.
    pub fn send(&self, outbound: Outbound) {
        match self.frames.try_send(outbound) {
            Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!("connection not reading its frames; closing it");
                self.stuck.notify_one();
            }
        }
    }

    /// Resolves once the receiving side (the writer task) is gone.
    pub async fn closed(&self) {
        self.frames.closed().await;
    }

    /// Queues an event frame.
    pub fn frame(&self, frame: ServerFrame) {
        self.send(Outbound::Frame(Box::new(frame)));
    }
}

struct Host {
    connection: Uuid,
    user: Uuid,
    outbox: Outbox,
}

struct Sidebar {
    user: Uuid,
    accounts: HashSet<AccountRef>,
    outbox: Outbox,
}

#[derive(Default)]
struct Connections {
    hosts: HashMap<AccountRef, Host>,
    sidebars: HashMap<Uuid, Sidebar>,
}

/// Why a host could not register.
#[derive(Debug)]
pub enum HostRefused {
    /// Another connection hosts the number and no take-over was asked.
    AlreadyHosted,
}

/// The registry of live connections on this relay.
#[derive(Default)]
pub struct Hub {
    connections: Mutex<Connections>,
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, Connections> {
        self.connections
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers a sidebar of `user` watching `accounts`.
    pub fn add_sidebar(
        &self,
        connection: Uuid,
        user: Uuid,
        accounts: HashSet<AccountRef>,
        outbox: Outbox,
    ) {
        self.lock().sidebars.insert(
            connection,
            Sidebar {
                user,
                accounts,
                outbox,
            },
        );
    }

    /// The user's open sidebars start (`true`) or stop watching `account`:
    /// a membership change reaches live connections at once, not at their
    /// next hello.
    pub fn set_watching(&self, user: Uuid, account: AccountRef, watching: bool) {
        let mut connections = self.lock();
        for sidebar in connections.sidebars.values_mut() {
            if sidebar.user == user {
                if watching {
                    sidebar.accounts.insert(account);
                } else {
                    sidebar.accounts.remove(&account);
                }
            }
        }
    }

    /// If `user` hosts `account` here, ends that: the host is forgotten at
    /// once (its further requests are refused) and told why before its
    /// connection closes. Returns the connection that was dropped.
    pub fn drop_host_of(&self, account: AccountRef, user: Uuid, why: &str) -> Option<Uuid> {
        let mut connections = self.lock();
        let host = connections.hosts.get(&account)?;
        if host.user != user {
            return None;
        }
        host.outbox.send(Outbound::Close(ErrorDetail {
            code: chorus_shared::error::ErrorCode::Forbidden,
            message: why.to_owned(),
            fields: Default::default(),
            retry_after_seconds: None,
        }));
        connections
            .hosts
            .remove(&account)
            .map(|host| host.connection)
    }

    /// Whether `connection` is the current host of `account`.
    pub fn is_host(&self, account: AccountRef, connection: Uuid) -> bool {
        self.lock()
            .hosts
            .get(&account)
            .is_some_and(|host| host.connection == connection)
    }

    /// Forgets a sidebar.
    pub fn remove_sidebar(&self, connection: Uuid) {
        self.lock().sidebars.remove(&connection);
    }

    /// Makes `connection` the host of `account`. With `take_over`, a current
    /// host is told to close and its connection id is returned.
    pub fn add_host(
        &self,
        account: AccountRef,
        connection: Uuid,
        user: Uuid,
        outbox: Outbox,
        take_over: bool,
    ) -> Result<Option<Uuid>, HostRefused> {
        let mut connections = self.lock();
        let replaced = match connections.hosts.get(&account) {
            Some(_) if !take_over => return Err(HostRefused::AlreadyHosted),
            Some(previous) => {
                previous.outbox.send(Outbound::Close(ErrorDetail {
                    code: chorus_shared::error::ErrorCode::HostAlreadyConnected,
                    message: "Another browser took over hosting this number.".into(),
                    fields: Default::default(),
                    retry_after_seconds: None,
                }));
                Some(previous.connection)
            }
            None => None,
        };
        connections.hosts.insert(
            account,
            Host {
                connection,
                user,
                outbox,
            },
        );
        Ok(replaced)
    }

    /// Forgets the host if `connection` still is it; true if it was.
    pub fn remove_host(&self, account: AccountRef, connection: Uuid) -> bool {
        let mut connections = self.lock();
        let current = connections
            .hosts
            .get(&account)
            .is_some_and(|host| host.connection == connection);
        if current {
            connections.hosts.remove(&account);
        }
        current
    }

    /// The host connection of `account`, if one is live here.
    pub fn host(&self, account: AccountRef) -> Option<(Uuid, Outbox)> {
        self.lock()
            .hosts
            .get(&account)
            .map(|host| (host.connection, host.outbox.clone()))
    }

    /// Whether a host is live for `account`.
    pub fn host_online(&self, account: AccountRef) -> bool {
        self.lock().hosts.contains_key(&account)
    }

    /// Accounts hosted on this relay.
    pub fn hosted_accounts(&self) -> Vec<AccountRef> {
        self.lock().hosts.keys().copied().collect()
    }

    /// Sends a frame to every sidebar watching `account`.
    pub fn to_sidebars(&self, account: AccountRef, frame: ServerFrame) {
        let connections = self.lock();
        for sidebar in connections.sidebars.values() {
            if sidebar.accounts.contains(&account) {
                sidebar.outbox.frame(frame.clone());
            }
        }
    }

    /// Sends a frame to the host of `account`; false if there is none.
    pub fn to_host(&self, account: AccountRef, frame: ServerFrame) -> bool {
        match self.lock().hosts.get(&account) {
            Some(host) => {
                host.outbox.frame(frame);
                true
            }
            None => false,
        }
    }
}
