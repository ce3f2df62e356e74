//! Where uploaded bytes live: behind a small trait so an object store can be
//! added later; on disk under the data directory by default.

use std::path::PathBuf;

use async_trait::async_trait;
use uuid::Uuid;

/// Stores file contents by id.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Stores the bytes durably under `id` before returning.
    async fn put(&self, id: Uuid, bytes: &[u8]) -> std::io::Result<()>;
    /// The bytes stored under `id`.
    async fn get(&self, id: Uuid) -> std::io::Result<Vec<u8>>;
    /// Removes the bytes under `id`; removing what is not there succeeds.
    async fn delete(&self, id: Uuid) -> std::io::Result<()>;
}

/// Files under `<root>/<first two hex digits>/<id>`.
pub struct DiskBlobs {
    root: PathBuf,
}

impl DiskBlobs {
    /// Blobs under `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, id: Uuid) -> PathBuf {
        let name = id.simple().to_string();
        self.root.join(&name[..2]).join(name)
    }
}

#[async_trait]
impl BlobStore for DiskBlobs {
    async fn put(&self, id: Uuid, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(id);
        let bytes = bytes.to_vec();
        tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let dir = path
                .parent()
                .ok_or_else(|| std::io::Error::other("blob path"))?;
            std::fs::create_dir_all(dir)?;
            // Write aside and rename, so a crash never leaves half a file under the id.
            let partial = path.with_extension("partial");
            let mut file = std::fs::File::create(&partial)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            std::fs::rename(&partial, &path)
        })
        .await
        .map_err(std::io::Error::other)?
    }

    async fn get(&self, id: Uuid) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(self.path(id)).await
    }

    async fn delete(&self, id: Uuid) -> std::io::Result<()> {
        match tokio::fs::remove_file(self.path(id)).await {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}
