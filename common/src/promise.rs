//! `Promise`: a handle a test holds while the simulation produces a result.
//!
//! Single-threaded and polled: a test issues a request, ticks the cluster, and looks at
//! the promise. Any number of observers may wait on one promise; they run once, when it
//! completes, in the order they were added.

use crate::error::RpcError;
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

type Observer<T> = Box<dyn FnOnce(&Result<T, RpcError>)>;

struct State<T> {
    result: Option<Result<T, RpcError>>,
    observers: Vec<Observer<T>>,
}

/// A result that will be known later: pending, then ok or failed, exactly once.
pub struct Promise<T> {
    state: Rc<RefCell<State<T>>>,
}

impl<T> Clone for Promise<T> {
    fn clone(&self) -> Self {
        Promise {
            state: Rc::clone(&self.state),
        }
    }
}

impl<T> Default for Promise<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for Promise<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.state.borrow().result {
            None => f.write_str("Promise(pending)"),
            Some(Ok(v)) => write!(f, "Promise(ok: {v:?})"),
            Some(Err(e)) => write!(f, "Promise(failed: {e})"),
        }
    }
}

impl<T> Promise<T> {
    /// A pending promise.
    pub fn new() -> Self {
        Promise {
            state: Rc::new(RefCell::new(State {
                result: None,
                observers: Vec::new(),
            })),
        }
    }

    /// A promise that is already complete.
    pub fn ready(result: Result<T, RpcError>) -> Self {
        let p = Self::new();
        p.settle(result);
        p
    }

    /// Complete with a value. Panics if already complete: a result is decided once.
    pub fn complete(&self, value: T) {
        self.settle(Ok(value));
    }

    /// Complete with an error. Panics if already complete.
    pub fn fail(&self, error: RpcError) {
        self.settle(Err(error));
    }

    /// Complete with a result. Panics if already complete.
    pub fn settle(&self, result: Result<T, RpcError>) {
        let observers = {
            let mut state = self.state.borrow_mut();
            assert!(
                state.result.is_none(),
                "a promise must be completed at most once"
            );
            state.result = Some(result);
            std::mem::take(&mut state.observers)
        };
        let state = self.state.borrow();
        let result = state.result.as_ref().expect("the result was just stored");
        for observer in observers {
            observer(result);
        }
    }

    /// Still waiting for a result.
    pub fn is_pending(&self) -> bool {
        self.state.borrow().result.is_none()
    }

    /// Completed with a value.
    pub fn is_ok(&self) -> bool {
        matches!(self.state.borrow().result, Some(Ok(_)))
    }

    /// Completed with an error.
    pub fn is_err(&self) -> bool {
        matches!(self.state.borrow().result, Some(Err(_)))
    }

    /// The error, if it failed.
    pub fn error(&self) -> Option<RpcError> {
        match &self.state.borrow().result {
            Some(Err(e)) => Some(e.clone()),
            _ => None,
        }
    }

    /// Run `observer` when the promise completes (at once if it already has).
    pub fn on_complete(&self, observer: impl FnOnce(&Result<T, RpcError>) + 'static) {
        let mut state = self.state.borrow_mut();
        match &state.result {
            None => state.observers.push(Box::new(observer)),
            Some(result) => {
                // Observers never re-borrow this promise mutably: it is complete.
                observer(result);
            }
        }
    }
}

impl<T: Clone> Promise<T> {
    /// The value, if it completed successfully.
    pub fn value(&self) -> Option<T> {
        match &self.state.borrow().result {
            Some(Ok(v)) => Some(v.clone()),
            _ => None,
        }
    }

    /// The result, if complete.
    pub fn result(&self) -> Option<Result<T, RpcError>> {
        self.state.borrow().result.clone()
    }
}

impl<T: Clone + 'static> Promise<T> {
    /// A promise of `f(value)`, completed when this one completes.
    pub fn map<U: 'static>(
        &self,
        f: impl FnOnce(T) -> Result<U, RpcError> + 'static,
    ) -> Promise<U> {
        let mapped = Promise::new();
        let target = mapped.clone();
        self.on_complete(move |result| {
            target.settle(match result {
                Ok(v) => f(v.clone()),
                Err(e) => Err(e.clone()),
            })
        });
        mapped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn a_promise_starts_pending_and_completes_once_with_its_value() {
        let p = Promise::new();
        assert!(p.is_pending());
        p.complete(7);
        assert!(p.is_ok() && !p.is_pending());
        assert_eq!(p.value(), Some(7));
    }

    #[test]
    #[should_panic(expected = "completed at most once")]
    fn completing_a_promise_twice_is_a_bug() {
        let p = Promise::new();
        p.complete(1);
        p.complete(2);
    }

    #[test]
    fn every_observer_runs_once_including_ones_added_after_completion() {
        let p: Promise<u32> = Promise::new();
        let calls = Rc::new(Cell::new(0));
        for _ in 0..2 {
            let calls = Rc::clone(&calls);
            p.on_complete(move |_| calls.set(calls.get() + 1));
        }
        p.fail(RpcError::Timeout { after_ticks: 5 });
        let late = Rc::clone(&calls);
        p.on_complete(move |r| {
            assert!(r.is_err());
            late.set(late.get() + 1)
        });
        assert_eq!(
            calls.get(),
            3,
            "two early observers and one late observer must each run once"
        );
        assert_eq!(p.error(), Some(RpcError::Timeout { after_ticks: 5 }));
    }

    #[test]
    fn a_mapped_promise_follows_its_source() {
        let p: Promise<u32> = Promise::new();
        let doubled = p.map(|v| Ok(v * 2));
        assert!(doubled.is_pending());
        p.complete(21);
        assert_eq!(doubled.value(), Some(42));
    }
}
