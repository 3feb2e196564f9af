//! The sending side of an event channel, typed by what one subsystem says.
//!
//! Each subsystem (runs, the library, the viewer) sends its own event type through a
//! [`Sink`] of that type, and knows nothing of the others: the engine, which owns the one
//! channel a front end reads, hands each subsystem a sink that wraps what it says into the
//! front end's event ([`Sink::map`]). The command line and the tests read a subsystem's
//! events directly ([`Sink::channel`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::mpsc;

/// How many events may wait unread before senders pause. Bounded so that thumbnails a
/// front end has not drawn yet cannot pile up without limit.
pub const EVENT_QUEUE: usize = 256;

/// Called after each event is queued, so a sleeping UI wakes up to read it.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

type Sending<'a> = Pin<Box<dyn Future<Output = bool> + Send + 'a>>;

/// Where a sink's events go: a channel, or another sink after wrapping them.
trait Port<E>: Send + Sync {
    fn send(&self, event: E) -> Sending<'_>;
    fn send_blocking(&self, event: E) -> bool;
    fn try_send(&self, event: E) -> bool;
}

impl<E: Send + 'static> Port<E> for mpsc::Sender<E> {
    fn send(&self, event: E) -> Sending<'_> {
        Box::pin(async move { mpsc::Sender::send(self, event).await.is_ok() })
    }

    fn send_blocking(&self, event: E) -> bool {
        self.blocking_send(event).is_ok()
    }

    fn try_send(&self, event: E) -> bool {
        mpsc::Sender::try_send(self, event).is_ok()
    }
}

/// A sink's events wrapped into the event of the channel they go to.
struct Wrapped<E, M> {
    inner: Arc<dyn Port<M>>,
    wrap: fn(E) -> M,
}

impl<E, M> Port<E> for Wrapped<E, M> {
    fn send(&self, event: E) -> Sending<'_> {
        self.inner.send((self.wrap)(event))
    }

    fn send_blocking(&self, event: E) -> bool {
        self.inner.send_blocking((self.wrap)(event))
    }

    fn try_send(&self, event: E) -> bool {
        self.inner.try_send((self.wrap)(event))
    }
}

/// Cloneable handle that workers use to report events of type `E`, with the front end's
/// wake-up call attached.
pub struct Sink<E> {
    port: Arc<dyn Port<E>>,
    wake: Waker,
}

impl<E> Clone for Sink<E> {
    fn clone(&self) -> Self {
        Self { port: self.port.clone(), wake: self.wake.clone() }
    }
}

impl<E: Send + 'static> Sink<E> {
    pub fn new(tx: mpsc::Sender<E>, wake: Waker) -> Self {
        Self { port: Arc::new(tx), wake }
    }

    /// A sink and its receiver, with no wake-up call (command line, tests).
    pub fn channel() -> (Self, mpsc::Receiver<E>) {
        let (tx, rx) = mpsc::channel(EVENT_QUEUE);
        (Self::new(tx, Arc::new(|| {})), rx)
    }

    /// A sink of another subsystem's events `F`, each wrapped by `wrap` into this sink's
    /// (`Event::Library`, say), on the same channel and wake-up call.
    pub fn map<F: Send + 'static>(&self, wrap: fn(F) -> E) -> Sink<F> {
        Sink { port: Arc::new(Wrapped { inner: self.port.clone(), wrap }), wake: self.wake.clone() }
    }
}

impl<E> Sink<E> {
    /// Queue an event, waiting for room. A closed channel means nobody listens any more,
    /// which is not an error for the worker.
    pub async fn send(&self, event: E) {
        if self.port.send(event).await {
            (self.wake)();
        }
    }

    /// Queue an event from a plain thread (not an async task), waiting for room.
    pub fn send_blocking(&self, event: E) {
        if self.port.send_blocking(event) {
            (self.wake)();
        }
    }

    /// Queue an event only if there is room right away. For progress deltas, which are
    /// fine to drop, so a busy front end never stalls a download mid-body.
    pub fn send_lossy(&self, event: E) {
        if self.port.try_send(event) {
            (self.wake)();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum Outer {
        Inner(u32),
    }

    #[tokio::test]
    async fn a_mapped_sink_wraps_each_event_into_the_channel_it_shares() {
        let (outer, mut received) = Sink::<Outer>::channel();
        let inner = outer.map(Outer::Inner);
        inner.send(1).await;
        inner.send_lossy(2);
        std::thread::scope(|scope| {
            scope.spawn(|| inner.send_blocking(3));
        });
        let mut got = Vec::new();
        while let Ok(event) = received.try_recv() {
            got.push(event);
        }
        assert_eq!(got, [Outer::Inner(1), Outer::Inner(2), Outer::Inner(3)]);
    }
}
