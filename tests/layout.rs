//! Where the cached posts live: a small farm keeps them in its control database (one database
//! per run), a farm past `INLINE_MAX` cached posts moves them to the shards at the end of a run,
//! and `farm compact` or `farm import` put them back when few are left. The move is killed at
//! each of its steps here; nothing is lost and nothing is read from a dead copy.

mod support;
use botfarm::store::INLINE_MAX;
use support::net::{Net, T0};

/// The line of `farm doctor` about the cached posts.
fn posts_line(n: &Net) -> String {
    let out = n.farm.run(&["doctor", "--offline"]).stdout;
    out.lines().find(|l| l.contains("cached posts")).unwrap_or_default().to_string()
}

/// The posts shard directories in `db/`.
fn shard_dirs(n: &Net) -> usize {
    std::fs::read_dir(n.farm.db().join("db"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("posts-"))
        .count()
}

/// Posts trees in the control database (opened in this process, then closed again).
fn control_posts_trees(n: &Net) -> usize {
    let db = support::open_control(&n.farm.db().join("db"));
    db.tree_names().iter().filter(|t| t.starts_with(b"posts:")).count()
}

#[test]
fn a_farm_moves_its_posts_to_the_shards_when_it_outgrows_one_database_and_back_when_compacted() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r", "--template", "M: {}"]);
    n.x_bot("reader", "big", "x", &[]);
    n.seed("r", 3, "a");
    n.at(T0, &["run", "r"]).ok();
    assert!(posts_line(&n).contains("3 cached posts, kept in the control database"), "{}", posts_line(&n));
    assert_eq!(shard_dirs(&n), 0);
    assert_eq!(control_posts_trees(&n), 1);

    // The farm grows past the limit; the move happens at the end of the next run.
    n.fill("big", INLINE_MAX + 1);
    let total = INLINE_MAX + 4;
    let preview = n.at(T0, &["preview", "w"]).ok().stdout;

    // Killed after the copies are durable, before the record says so: still in the control
    // database, the copies in the shards are dead.
    n.farm.env.push(("FARM_CRASH_AT".into(), "posts-copied".into()));
    let r = n.at(T0 + 3600, &["run", "r"]);
    assert_ne!(r.code, 0, "the crash point was not reached: {}", r.stderr);
    n.farm.env.clear();
    assert!(posts_line(&n).contains(&format!("{total} cached posts, kept in the control database")));
    assert!(shard_dirs(&n) > 0);
    assert_eq!(n.farm.run(&["preview", "w"]).ok().stdout, preview);
    let stats = n.farm.run(&["stats", "--json"]).ok().stdout;

    // Killed after the record, before the old copies go: in the shards, the control
    // database's copies are dead.
    n.farm.env.push(("FARM_CRASH_AT".into(), "posts-moved".into()));
    let r = n.at(T0 + 3600, &["run", "r"]);
    assert_ne!(r.code, 0, "the crash point was not reached: {}", r.stderr);
    assert!(!r.stderr.contains("moved them"), "{}", r.stderr);
    n.farm.env.clear();
    assert!(posts_line(&n).contains(&format!("{total} cached posts, kept in the posts shards")));
    assert_eq!(control_posts_trees(&n), 2);
    assert_eq!(n.farm.run(&["preview", "w"]).ok().stdout, preview);
    assert_eq!(n.farm.run(&["stats", "--json"]).ok().stdout, stats);

    // The next run removes the dead copies; the farm goes on where it was.
    let r = n.at(T0 + 3600, &["run", "r"]).ok();
    assert_eq!(r.stderr, "", "the move was done and said so by the run before");
    assert_eq!(control_posts_trees(&n), 0);
    assert_eq!(n.farm.run(&["stats", "--json"]).ok().stdout, stats);
    n.at(T0 + 3600, &["run", "w"]).ok();
    assert_eq!(n.posted("w"), ["M: a post number 0 about cats"]);

    // Few posts left: compaction puts them back into the control database.
    n.farm.run(&["destroy", "big", "--yes"]).ok();
    assert!(posts_line(&n).contains("3 cached posts, kept in the posts shards"), "{}", posts_line(&n));
    n.farm.run(&["compact"]).ok();
    assert!(posts_line(&n).contains("3 cached posts, kept in the control database"), "{}", posts_line(&n));
    assert_eq!(shard_dirs(&n), 0);
    n.at(T0 + 7200, &["run", "w"]).ok();
    assert_eq!(n.posted("w"), ["M: a post number 0 about cats", "M: a post number 1 about cats"]);
}

#[test]
fn an_archive_cannot_say_where_the_posts_are() {
    // The layout record is a fact of one data directory: never exported, refused on import.
    assert!(botfarm::store::validate_record("meta", b"posts_in", b"shards").is_err());
    assert!(botfarm::store::validate_record("meta", b"schema", &6u32.to_be_bytes()).is_ok());
}

#[test]
fn the_run_that_moves_the_posts_says_so_once() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.seed("r", 2, "a");
    n.fill("big", INLINE_MAX - 2);
    n.at(T0, &["run"]).ok();
    assert!(posts_line(&n).contains("kept in the control database"), "{}", posts_line(&n));
    n.seed("r", 2, "b");
    let r = n.at(T0 + 3600, &["run"]).ok();
    assert!(r.stderr.contains("moved them from the control database to the posts shards"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(posts_line(&n).contains(&format!("{} cached posts, kept in the posts shards", INLINE_MAX + 2)));
    n.seed("r", 1, "c");
    assert_eq!(n.at(T0 + 7200, &["run"]).ok().stderr, "");
}
