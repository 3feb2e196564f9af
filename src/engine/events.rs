//! The sending side of the event channel, with the front end's wake-up call attached.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::types::Event;

/// How many events may wait unread before senders pause. Bounded so that thumbnails a
/// front end has not drawn yet cannot pile up without limit.
pub const EVENT_QUEUE: usize = 256;

/// Called after each event is queued, so a sleeping UI wakes up to read it.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Cloneable handle that workers use to report events.
#[derive(Clone)]
pub struct EventSink {
    tx: mpsc::Sender<Event>,
    wake: Waker,
}

impl EventSink {
    pub fn new(tx: mpsc::Sender<Event>, wake: Waker) -> Self {
        Self { tx, wake }
    }

    /// A sink and its receiver, with no wake-up call (command line, tests).
    pub fn channel() -> (Self, mpsc::Receiver<Event>) {
        let (tx, rx) = mpsc::channel(EVENT_QUEUE);
        (Self::new(tx, Arc::new(|| {})), rx)
    }

    /// Queue an event, waiting for room. A closed channel means nobody listens any more,
    /// which is not an error for the worker.
    pub async fn send(&self, event: Event) {
        if self.tx.send(event).await.is_ok() {
            (self.wake)();
        }
    }

    /// Queue an event from a plain thread (not an async task), waiting for room.
    pub fn send_blocking(&self, event: Event) {
        if self.tx.blocking_send(event).is_ok() {
            (self.wake)();
        }
    }

    /// Queue an event only if there is room right away. For progress deltas, which are
    /// fine to drop, so a busy front end never stalls a download mid-body.
    pub fn send_lossy(&self, event: Event) {
        if self.tx.try_send(event).is_ok() {
            (self.wake)();
        }
    }
}
