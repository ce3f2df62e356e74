//! Group commit: requests that arrive while a batch is being written wait
//! and go into the next one, so many concurrent callers share one commit.
//! An idle caller is not delayed: a batch starts as soon as one request is
//! there, and takes whatever else is already waiting.

use std::future::Future;

use tokio::sync::{mpsc, oneshot};

/// Requests waiting for the batch task before callers are made to wait.
const QUEUE: usize = 4096;

/// Hands requests to one task that processes them in batches.
pub struct Batcher<Request, Response> {
    requests: mpsc::Sender<(Request, oneshot::Sender<Response>)>,
}

impl<Request, Response> Clone for Batcher<Request, Response> {
    fn clone(&self) -> Self {
        Self {
            requests: self.requests.clone(),
        }
    }
}

impl<Request: Send + 'static, Response: Send + 'static> Batcher<Request, Response> {
    /// Starts the batch task. `handle` gets up to `max_batch` requests and
    /// returns one response per request, in the same order.
    pub fn spawn<Handle, Done>(max_batch: usize, handle: Handle) -> Self
    where
        Handle: Fn(Vec<Request>) -> Done + Send + 'static,
        Done: Future<Output = Vec<Response>> + Send,
    {
        let (requests, mut incoming) = mpsc::channel::<(Request, oneshot::Sender<Response>)>(QUEUE);
        tokio::spawn(async move {
            while let Some(first) = incoming.recv().await {
                let mut batch = vec![first];
                while batch.len() < max_batch {
                    match incoming.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let (requests, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
                let responses = handle(requests).await;
                for (reply, response) in replies.into_iter().zip(responses) {
                    let _ = reply.send(response);
                }
            }
        });
        Self { requests }
    }

    /// Submits a request and waits for its response; `None` if the batch
    /// task has stopped (the relay is shutting down).
    pub async fn call(&self, request: Request) -> Option<Response> {
        let (reply, response) = oneshot::channel();
        self.requests.send((request, reply)).await.ok()?;
        response.await.ok()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::Batcher;

    #[tokio::test]
    async fn concurrent_requests_share_batches_and_get_their_own_answers() {
        let batches = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&batches);
        let doubler = Batcher::spawn(64, move |numbers: Vec<u32>| {
            counted.fetch_add(1, Ordering::SeqCst);
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                numbers.into_iter().map(|n| n * 2).collect()
            }
        });
        let calls: Vec<_> = (0..200)
            .map(|n| {
                let doubler = doubler.clone();
                tokio::spawn(async move { (n, doubler.call(n).await) })
            })
            .collect();
        for call in calls {
            let (n, doubled) = call.await.expect("task");
            assert_eq!(doubled, Some(n * 2));
        }
        assert!(
            batches.load(Ordering::SeqCst) < 200,
            "requests were batched"
        );
    }
}
