//! What a source costs: the calls of the last day and 30 days of every bot, and on X the bill
//! estimated at the farm's prices (X's published ones by default, `farm app set x
//! --read-price …` to change them), in `stats`, `show` and `metrics`, from real runs against
//! the fake API.

mod support;
use serde_json::Value;
use support::net::{Net, T0};

fn row<'a>(s: &'a Value, name: &str) -> &'a Value {
    s.as_array().unwrap().iter().find(|r| r["name"] == name).unwrap_or_else(|| panic!("no row {name}: {s}"))
}

#[track_caller]
fn dollars(v: &Value, want: f64) {
    let got = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!((got - want).abs() < 1e-9, "{got} != {want}");
}

/// An X reader `xr` with a writer `xw` (plain text) and a writer `xl` (a link in every post),
/// and a Mastodon reader `mr`, after one run at `T0` in which `xr` read 5 posts and each
/// writer posted once.
fn farm() -> Net {
    let mut n = Net::new();
    n.fake.set_oauth_wall_clock(true);
    n.x_bot("reader", "xr", "x", &[]);
    n.x_bot("writer", "xw", "x", &["--source", "xr", "--template", "A: {}"]);
    n.x_bot("writer", "xl", "x", &["--source", "xr", "--template", "{} https://example.org/more"]);
    n.masto_bot("reader", "mr", &[]);
    n.seed("xr", 5, "first");
    n.seed("mr", 3, "m");
    n.synced(T0, &["run"]).ok();
    n
}

#[test]
fn stats_give_the_calls_of_a_day_and_a_month_and_the_estimated_x_bill() {
    let mut n = farm();
    let s = n.farm.run(&["stats", "--json"]).ok().json();
    // At X's published prices: $0.005 a post read, $0.015 a post, $0.200 a post with a link.
    dollars(&row(&s, "xr")["cost_24h"], 5.0 * 0.005);
    dollars(&row(&s, "xw")["cost_24h"], 0.015);
    dollars(&row(&s, "xl")["cost_24h"], 0.2);
    assert_eq!(row(&s, "mr")["cost_24h"], Value::Null, "Mastodon bills nothing");
    for name in ["xr", "xw", "xl", "mr"] {
        let r = row(&s, name);
        assert!(r["calls_24h"].as_u64().unwrap() >= 1, "{r}");
        assert_eq!(r["calls_30d"], r["calls_24h"], "{r}");
        assert_eq!(r["cost_30d"], r["cost_24h"], "{r}");
    }
    // Forty days later: the first day is out of the month.
    n.seed("xr", 2, "second");
    n.synced(T0 + 40 * 86_400, &["run"]).ok();
    let s = n.farm.run(&["stats", "--json"]).ok().json();
    let xr = row(&s, "xr");
    dollars(&xr["cost_24h"], 2.0 * 0.005);
    dollars(&xr["cost_30d"], 2.0 * 0.005);
    assert_eq!(xr["calls_30d"], xr["calls_24h"]);
    dollars(&row(&s, "xl")["cost_30d"], 0.2);
    assert_eq!(row(&s, "mr")["calls_30d"], row(&s, "mr")["calls_24h"]);
    // The farm's bill is under the table; each bot's in `stats NAME` and `show`.
    let table = n.farm.run_env(&["stats"], &[("COLUMNS", "250")]).ok();
    assert!(
        table.stdout.contains(
            "x bill (estimated, $0.005 a post read, $0.015 a post, $0.200 a post with a link): $0.225 in 24 hours, $0.225 in 30 days"
        ),
        "{}",
        table.stdout
    );
    let total = table.stdout.lines().find(|l| l.starts_with("total")).unwrap();
    assert!(total.contains("$0.225"), "{total}");
    let one = n.farm.run_env(&["stats", "xr"], &[("COLUMNS", "200")]).ok();
    assert!(one.stdout.contains("estimated x bill $0.010 in 24 hours, $0.010 in 30 days"), "{}", one.stdout);
    let show = n.farm.run(&["show", "xl", "--json"]).ok().json();
    dollars(&show["state"]["cost_30d"], 0.2);
    assert!(show["state"]["calls_30d"].as_u64().unwrap() >= 1);
    let show = n.farm.run(&["show", "mr"]).ok();
    let calls = show.stdout.lines().find(|l| l.contains("calls:")).unwrap();
    assert!(calls.ends_with("in 30 days"), "no bill on Mastodon: {calls}");
}

#[test]
fn prices_are_the_operators_and_need_no_app_keys() {
    let n = farm();
    let f = &n.farm;
    let set = f.run(&["app", "set", "x", "--read-price", "0.01", "--link-post-price", "$0.25"]).ok();
    assert!(
        set.stderr
            .contains("stored the X prices: $0.010 a post read, $0.015 a post, $0.250 a post with a link"),
        "{}",
        set.stderr
    );
    let show = f.run(&["app", "show"]).ok();
    assert!(show.stdout.contains("x: no app keys stored"), "{}", show.stdout);
    assert!(
        show.stdout
            .contains("x prices: $0.010 a post read, $0.015 a post (default), $0.250 a post with a link"),
        "{}",
        show.stdout
    );
    let s = f.run(&["stats", "--json"]).ok().json();
    dollars(&row(&s, "xr")["cost_24h"], 5.0 * 0.01);
    dollars(&row(&s, "xl")["cost_24h"], 0.25);
    // Back to the default; a wrong price is refused and changes nothing.
    f.run(&["app", "set", "x", "--read-price", "default"]).ok();
    for bad in ["abc", "-1", "0.0000001", "1000"] {
        f.run(&["app", "set", "x", "--post-price", bad]).one_line_error(64, "--post-price");
    }
    let s = f.run(&["stats", "--json"]).ok().json();
    dollars(&row(&s, "xr")["cost_24h"], 5.0 * 0.005);
    dollars(&row(&s, "xw")["cost_24h"], 0.015);
    // With keys in the environment both are stored.
    let both = f.run_env(
        &["app", "set", "x", "--post-price", "0.02"],
        &[("FARM_CONSUMER_KEY", "app-key-000111222"), ("FARM_CONSUMER_SECRET", "app-secret-000111222")],
    );
    assert!(both.ok().stderr.contains("stored the X app keys"));
    let show = f.run(&["app", "show"]).ok();
    assert!(
        show.stdout.contains("consumer key ********1222") && show.stdout.contains("$0.020 a post,"),
        "{}",
        show.stdout
    );
    // Prices are no secret: an export without secrets keeps them.
    let archive = f.dir.path().join("shared.tar");
    f.run(&["export", "--no-secrets", "-q", &archive.display().to_string()]).ok();
    let other = support::Farm::new();
    other.run(&["import", &archive.display().to_string()]).ok();
    let show = other.run(&["app", "show"]).ok();
    assert!(
        show.stdout.contains("no app keys stored") && show.stdout.contains("$0.020 a post,"),
        "{}",
        show.stdout
    );
}

#[test]
fn metrics_carry_the_calls_of_30_days_and_the_bill() {
    let n = farm();
    let prom = n.farm.run(&["metrics", "--format", "prometheus"]).ok().stdout;
    assert!(prom.contains("# TYPE farm_cost_dollars_30d gauge"), "{prom}");
    assert!(
        prom.contains("farm_cost_dollars_24h{bot=\"xl\",role=\"writer\",platform=\"x\"} 0.2\n"),
        "{prom}"
    );
    assert!(!prom.lines().any(|l| l.starts_with("farm_cost_dollars_24h{bot=\"mr\"")), "{prom}");
    assert!(prom.contains("farm_api_calls_30d{bot=\"mr\",role=\"reader\",platform=\"mastodon\"}"), "{prom}");
    let influx = n.farm.run(&["metrics"]).ok().stdout;
    let xr = influx.lines().find(|l| l.starts_with("farm_bot,bot=xr,")).unwrap();
    assert!(xr.contains(",cost_24h_microdollars=25000i,") && xr.contains(",calls_30d="), "{xr}");
    let mr = influx.lines().find(|l| l.starts_with("farm_bot,bot=mr,")).unwrap();
    assert!(!mr.contains("cost_") && mr.contains(",imported_total=0i,"), "{mr}");
}
