//! Group commit: requests that arrive while a batch is being written wait
//! and go into the next one, so many concurrent callers share one commit.
//! An idle caller is not delayed: a batch starts as soon as one request is
//! there, and takes whatever else is already waiting. A batch the database
//! refuses as a whole is written again one request at a time
//! ([`whole_or_one_by_one`]), so one caller's fault never fails another's.

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

/// Writes `batch` in one go; if that fails, writes each request alone, so
/// that a request the database refuses fails by itself. Answers one result
/// per request, in order.
pub async fn whole_or_one_by_one<Request, Response, Error, Write, Written>(
    batch: Vec<Request>,
    write: Write,
) -> Vec<Result<Response, Error>>
where
    Request: Clone,
    Error: std::fmt::Display,
    Write: Fn(Vec<Request>) -> Written,
    Written: Future<Output = Result<Vec<Result<Response, Error>>, Error>>,
{
    if batch.len() == 1 {
        return match write(batch).await {
            Ok(results) => results,
            Err(error) => vec![Err(error)],
        };
    }
    match write(batch.clone()).await {
        Ok(results) => results,
        Err(error) => {
            tracing::warn!(%error, size = batch.len(), "a batch failed; writing its requests one by one");
            let mut results = Vec::with_capacity(batch.len());
            for request in batch {
                match write(vec![request]).await {
                    Ok(mut one) if one.len() == 1 => results.push(one.remove(0)),
                    Ok(_) => unreachable!("a write answers once per request"),
                    Err(error) => results.push(Err(error)),
                }
            }
            results
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::{whole_or_one_by_one, Batcher};

    #[tokio::test]
    async fn a_refused_batch_fails_only_the_request_at_fault() {
        let attempts = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&attempts);
        let results = whole_or_one_by_one(vec![1, 2, 0, 4], move |numbers: Vec<u32>| {
            counted.fetch_add(1, Ordering::SeqCst);
            async move {
                if numbers.contains(&0) {
                    Err("zero is refused".to_owned())
                } else {
                    Ok(numbers.into_iter().map(|n| Ok(100 / n)).collect())
                }
            }
        })
        .await;
        assert_eq!(
            results,
            vec![Ok(100), Ok(50), Err("zero is refused".to_owned()), Ok(25)]
        );
        assert_eq!(attempts.load(Ordering::SeqCst), 5, "once whole, then each");
    }

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
