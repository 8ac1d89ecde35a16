//! Login rate limiting. Every attempt counts as a failure from the moment it begins (so
//! concurrent attempts cannot race past the limit) until its password proved right. A client
//! address may fail `max` times within a sliding window, whatever the names; a name may fail
//! `name_ceiling` times from everywhere, and past that it refuses only the clients that failed
//! for it themselves — so nobody can lock a user out of a device that never typed a wrong
//! password. A refused attempt waits until the oldest failure ages out (429).

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
    name_ceiling: usize,
    window: Duration,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    names: HashMap<String, VecDeque<Instant>>,
    addresses: HashMap<Option<IpAddr>, VecDeque<Instant>>,
    /// Failures of one name from one address.
    pairs: HashMap<(String, Option<IpAddr>), VecDeque<Instant>>,
}

/// An attempt under way, counted as a failure until [`LoginLimiter::succeeded`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Attempt {
    name: String,
    address: Option<IpAddr>,
    at: Instant,
}

impl LoginLimiter {
    /// 5 failures per client in 5 minutes, 50 per name from everywhere, as the API contract
    /// says.
    pub fn standard() -> Self {
        Self::new(5, 50, Duration::from_secs(5 * 60))
    }

    pub fn new(max: usize, name_ceiling: usize, window: Duration) -> Self {
        Self {
            max,
            name_ceiling,
            window,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Begins an attempt (counted as a failure until it succeeds), or `Err(wait)` when the
    /// client used up its failures; `wait` is how long until one ages out.
    pub fn begin(&self, name: &str, address: Option<IpAddr>) -> Result<Attempt, Duration> {
        self.begin_at(name, address, Instant::now())
    }

    pub fn begin_at(
        &self,
        name: &str,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<Attempt, Duration> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let pair = (name.to_owned(), address);
        let by_address = wait(&mut inner.addresses, &address, now, self.window, self.max);
        let own = inner.pairs.get_mut(&pair).map_or(0, |failures| {
            forget_old(failures, now, self.window);
            failures.len()
        });
        let by_name = if own > 0 {
            wait(&mut inner.names, name, now, self.window, self.name_ceiling)
        } else {
            None
        };
        if let Some(wait) = by_address.max(by_name) {
            return Err(wait);
        }
        let window = self.window;
        record(&mut inner.names, name.to_owned(), now, window);
        record(&mut inner.addresses, address, now, window);
        record(&mut inner.pairs, pair, now, window);
        Ok(Attempt {
            name: name.to_owned(),
            address,
            at: now,
        })
    }

    /// The attempt's password was right: it was no failure, and the name's failures from this
    /// client are forgotten (not the address's: one good account must not reset the count of
    /// an address trying others).
    pub fn succeeded(&self, attempt: Attempt) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        unrecord(&mut inner.names, &attempt.name, attempt.at);
        unrecord(&mut inner.addresses, &attempt.address, attempt.at);
        inner.pairs.remove(&(attempt.name, attempt.address));
    }
}

impl LoginLimiter {
    /// The attempt never checked a password (vbx was too busy): it counts for nothing.
    pub fn cancelled(&self, attempt: Attempt) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        unrecord(&mut inner.names, &attempt.name, attempt.at);
        unrecord(&mut inner.addresses, &attempt.address, attempt.at);
        unrecord(
            &mut inner.pairs,
            &(attempt.name, attempt.address),
            attempt.at,
        );
    }
}

/// How long `key` must wait, if it has `max` failures in the window.
fn wait<K, Q>(
    map: &mut HashMap<K, VecDeque<Instant>>,
    key: &Q,
    now: Instant,
    window: Duration,
    max: usize,
) -> Option<Duration>
where
    K: std::borrow::Borrow<Q> + Eq + Hash,
    Q: Eq + Hash + ?Sized,
{
    let failures = map.get_mut(key)?;
    forget_old(failures, now, window);
    if failures.len() < max {
        return None;
    }
    let oldest = *failures.front()?;
    Some((oldest + window).saturating_duration_since(now))
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

/// Takes back one failure recorded at `at` under `key`.
fn unrecord<K, Q>(map: &mut HashMap<K, VecDeque<Instant>>, key: &Q, at: Instant)
where
    K: std::borrow::Borrow<Q> + Eq + Hash,
    Q: Eq + Hash + ?Sized,
{
    if let Some(failures) = map.get_mut(key) {
        if let Some(i) = failures.iter().rposition(|t| *t == at) {
            failures.remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([192, 0, 2, last]))
    }

    #[test]
    fn five_failures_from_a_client_block_its_sixth_attempt_until_the_first_ages_out() {
        let limiter = LoginLimiter::standard();
        let t0 = Instant::now();
        for i in 0..5u32 {
            let at = t0 + MINUTE * i;
            let name = format!("user{i}");
            assert!(limiter.begin_at(&name, ip(1), at).is_ok());
        }
        let at = t0 + MINUTE * 4;
        assert_eq!(limiter.begin_at("alice", ip(1), at), Err(MINUTE));
        assert!(limiter.begin_at("alice", ip(2), at).is_ok());
        assert!(limiter.begin_at("alice", ip(1), t0 + MINUTE * 5).is_ok());
    }

    #[test]
    fn attempts_under_way_count_so_concurrent_ones_cannot_race_past_the_limit() {
        let limiter = LoginLimiter::standard();
        let t0 = Instant::now();
        let begun = (0..40)
            .filter(|_| limiter.begin_at("alice", ip(1), t0).is_ok())
            .count();
        assert_eq!(begun, 5);
    }

    #[test]
    fn many_clients_failing_for_a_name_do_not_lock_out_one_that_never_failed() {
        let limiter = LoginLimiter::new(5, 10, MINUTE);
        let t0 = Instant::now();
        for i in 0..10 {
            let _ = limiter.begin_at("alice", ip(i), t0);
        }
        // The ceiling is reached: the attackers' next tries are refused…
        assert!(limiter.begin_at("alice", ip(3), t0).is_err());
        // …but Alice's own device, which never failed, still gets in.
        let attempt = limiter.begin_at("alice", ip(200), t0).unwrap();
        limiter.succeeded(attempt);
        assert!(limiter.begin_at("alice", ip(200), t0).is_ok());
    }

    #[test]
    fn success_takes_back_its_attempt_and_the_clients_failures_for_the_name() {
        let limiter = LoginLimiter::new(2, 50, MINUTE);
        let t0 = Instant::now();
        let _failed = limiter.begin_at("alice", ip(1), t0).unwrap();
        let right = limiter.begin_at("alice", ip(1), t0).unwrap();
        assert!(limiter.begin_at("alice", ip(1), t0).is_err());
        limiter.succeeded(right);
        // One failure left on the address: one more attempt, from any name.
        assert!(limiter.begin_at("bob", ip(1), t0).is_ok());
        assert!(limiter.begin_at("carol", ip(1), t0).is_err());
    }
}
