//! Activity counters: hourly buckets (`counters`, kept [`COUNTER_HOURS`]) and daily ones
//! (`daily`, kept [`COUNTER_DAYS`]).

use super::codec::decode;
use super::{key2, prefix, sled_err, Store, COUNTER_DAYS, COUNTER_HOURS};
use crate::error::Result;
use crate::model::Counters;

impl Store {
    // ---- counters ----

    /// Add to a bot's counters for the hour and the day containing `at`. Hourly buckets are
    /// kept [`COUNTER_HOURS`], daily ones [`COUNTER_DAYS`]: a few dozen records per bot.
    pub fn count(&self, bot: &str, at: i64, add: Counters) -> Result<()> {
        let hour = at.div_euclid(3600);
        if self.add_bucket(&self.counters, bot, hour, add)? {
            self.drop_buckets_before(&self.counters, bot, hour - COUNTER_HOURS)?;
        }
        let day = at.div_euclid(86_400);
        if self.add_bucket(&self.daily, bot, day, add)? {
            self.drop_buckets_before(&self.daily, bot, day - COUNTER_DAYS)?;
        }
        Ok(())
    }

    /// Add to one bucket; true when the bucket is new.
    pub(super) fn add_bucket(&self, tree: &sled::Tree, bot: &str, n: i64, add: Counters) -> Result<bool> {
        let k = key2(bot, &n.to_be_bytes());
        let mut c: Counters = self.get(tree, &k)?.unwrap_or_default();
        let fresh = c == Counters::default();
        c += add;
        self.put(tree, &k, &c)?;
        Ok(fresh)
    }

    pub(super) fn drop_buckets_before(&self, tree: &sled::Tree, bot: &str, n: i64) -> Result<()> {
        let cut = key2(bot, &n.to_be_bytes());
        for kv in tree.range(prefix(bot)..cut).keys() {
            tree.remove(kv.map_err(sled_err)?).map_err(sled_err)?;
        }
        Ok(())
    }

    fn buckets(tree: &sled::Tree, bot: &str, since: i64) -> Result<Vec<(i64, Counters)>> {
        let p = prefix(bot);
        let mut out = Vec::new();
        for kv in tree.range(key2(bot, &since.max(0).to_be_bytes())..) {
            let (k, v) = kv.map_err(sled_err)?;
            if !k.starts_with(&p) {
                break;
            }
            let n = <[u8; 8]>::try_from(&k[p.len()..]).map(i64::from_be_bytes).unwrap_or(0);
            out.push((n, decode(&v)?));
        }
        Ok(out)
    }

    /// A bot's counters per hour (hour number = Unix seconds / 3600) from `since_hour` on.
    pub fn counters(&self, bot: &str, since_hour: i64) -> Result<Vec<(i64, Counters)>> {
        Self::buckets(&self.counters, bot, since_hour)
    }

    /// A bot's counters per day (day number = Unix seconds / 86400) from `since_day` on.
    pub fn daily(&self, bot: &str, since_day: i64) -> Result<Vec<(i64, Counters)>> {
        Self::buckets(&self.daily, bot, since_day)
    }
}
