//! Login rate limiting: at most `max` failed logins per name and per client address within a
//! sliding window; the next attempt is refused (429) until the oldest failure ages out.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Beyond this many tracked keys, keys whose failures all aged out are dropped.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug)]
pub struct LoginLimiter {
    max: usize,
    window: Duration,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    names: HashMap<String, VecDeque<Instant>>,
    addresses: HashMap<Option<IpAddr>, VecDeque<Instant>>,
}

impl LoginLimiter {
    /// 5 failures in 5 minutes, as the API contract says.
    pub fn standard() -> Self {
        Self::new(5, Duration::from_secs(5 * 60))
    }

    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            max,
            window,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// `Err(wait)` when `name` or `address` used up its failures; `wait` is how long until one
    /// ages out.
    pub fn check(&self, name: &str, address: Option<IpAddr>) -> Result<(), Duration> {
        self.check_at(name, address, Instant::now())
    }

    pub fn failed(&self, name: &str, address: Option<IpAddr>) {
        self.failed_at(name, address, Instant::now());
    }

    /// A correct password clears the name's failures (not the address's: one good account
    /// must not reset the count of an address trying others).
    pub fn succeeded(&self, name: &str) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.names.remove(name);
    }

    pub fn check_at(
        &self,
        name: &str,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<(), Duration> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let by_name = self.wait(&mut inner.names, name, now);
        let by_address = self.wait(&mut inner.addresses, &address, now);
        match by_name.max(by_address) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    pub fn failed_at(&self, name: &str, address: Option<IpAddr>, now: Instant) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let window = self.window;
        record(&mut inner.names, name.to_owned(), now, window);
        record(&mut inner.addresses, address, now, window);
    }

    /// How long `key` must wait, if it used up its failures.
    fn wait<K, Q>(
        &self,
        map: &mut HashMap<K, VecDeque<Instant>>,
        key: &Q,
        now: Instant,
    ) -> Option<Duration>
    where
        K: std::borrow::Borrow<Q> + Eq + Hash,
        Q: Eq + Hash + ?Sized,
    {
        let failures = map.get_mut(key)?;
        forget_old(failures, now, self.window);
        if failures.len() < self.max {
            return None;
        }
        let oldest = *failures.front()?;
        Some((oldest + self.window).saturating_duration_since(now))
    }
}

fn forget_old(failures: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while failures
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= window)
    {
        failures.pop_front();
    }
}

fn record<K: Eq + Hash>(
    map: &mut HashMap<K, VecDeque<Instant>>,
    key: K,
    now: Instant,
    window: Duration,
) {
    if map.len() > PRUNE_ABOVE {
        map.retain(|_, failures| {
            forget_old(failures, now, window);
            !failures.is_empty()
        });
    }
    let failures = map.entry(key).or_default();
    forget_old(failures, now, window);
    failures.push_back(now);
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([192, 0, 2, last]))
    }

    #[test]
    fn five_failures_for_a_name_block_the_sixth_attempt_until_the_first_ages_out() {
        let limiter = LoginLimiter::standard();
        let t0 = Instant::now();
        for i in 0..5u8 {
            let at = t0 + MINUTE * u32::from(i);
            assert_eq!(limiter.check_at("alice", ip(i), at), Ok(()));
            limiter.failed_at("alice", ip(i), at);
        }
        let at = t0 + MINUTE * 4;
        assert_eq!(limiter.check_at("alice", ip(99), at), Err(MINUTE));
        assert_eq!(limiter.check_at("bob", ip(99), at), Ok(()));
        assert_eq!(limiter.check_at("alice", ip(99), t0 + MINUTE * 5), Ok(()));
    }

    #[test]
    fn five_failures_from_an_address_block_it_whatever_the_name() {
        let limiter = LoginLimiter::standard();
        let t0 = Instant::now();
        for i in 0..5 {
            limiter.failed_at(&format!("user{i}"), ip(1), t0);
        }
        assert!(limiter.check_at("someone", ip(1), t0).is_err());
        assert_eq!(limiter.check_at("someone", ip(2), t0), Ok(()));
    }

    #[test]
    fn success_clears_the_names_failures_but_not_the_addresss() {
        let limiter = LoginLimiter::new(2, MINUTE);
        let t0 = Instant::now();
        limiter.failed_at("alice", ip(1), t0);
        limiter.failed_at("alice", ip(2), t0);
        assert!(limiter.check_at("alice", ip(3), t0).is_err());
        limiter.succeeded("alice");
        assert_eq!(limiter.check_at("alice", ip(3), t0), Ok(()));
        limiter.failed_at("bob", ip(1), t0);
        assert!(limiter.check_at("carol", ip(1), t0).is_err());
    }
}
