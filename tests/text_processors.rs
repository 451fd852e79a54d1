//! The writer text processors on the fixture posts: the original Harry Potter bot, the older
//! noun bots, replace, markov, exec, templates and filters, through the public pipeline API.

use std::time::{Duration, Instant};

use botfarm::error::Kind;
use botfarm::net::Post;
use botfarm::text::{Ctx, Pipeline, WriterSpec};

fn post(text: &str) -> Post {
    Post {
        id: 42,
        author: "ann".into(),
        text: text.into(),
        created_at: 0,
        is_repost: false,
        is_reply: false,
        has_links: false,
        lang: None,
        ..Default::default()
    }
}

fn lines(path: &str) -> Vec<String> {
    std::fs::read_to_string(path).unwrap().lines().map(str::to_string).collect()
}

fn spec(template: Option<&str>, process: &[&str], filters: &[&str]) -> WriterSpec {
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    WriterSpec::from_cli(template.map(str::to_string), &strings(process), &strings(filters)).unwrap()
}

/// Run `spec` on one post text with no corpus and no word feedback.
fn run(spec: &WriterSpec, text: &str) -> Option<String> {
    run_with(spec, text, &[], 1, &[], &[]).unwrap()
}

fn run_with(
    spec: &WriterSpec,
    text: &str,
    corpus: &[String],
    seed: u64,
    boring: &[String],
    hot: &[String],
) -> Result<Option<String>, botfarm::error::FarmError> {
    let corpus = || corpus.iter().map(|t| post(t)).collect();
    let mut ctx = Ctx { corpus: &corpus, seed, boring, hot };
    Pipeline::new(spec)?.run(&post(text), &mut ctx)
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

const HARRY: &str = "phrase:ADJF,nomn NOUN,nomn;pairs=доброе утро";

#[test]
fn harry_potter_writer_reproduces_the_original() {
    let writer = spec(Some("Гарри Поттер и {}"), &[HARRY], &[]);
    let posts = lines("fixtures/posts_ru.txt");
    assert_eq!(run(&writer, &posts[0]).as_deref(), Some("Гарри Поттер и Тайная Комната"));
    // The original's {0} placeholder works too.
    let original = spec(Some("Гарри Поттер и {0}"), &[HARRY], &[]);
    assert_eq!(run(&original, "а тут тайная комната").as_deref(), Some("Гарри Поттер и Тайная Комната"));
    let p = Pipeline::new(&writer).unwrap();
    assert!(p.needs_morphology());
    assert!(!p.needs_corpus());
}

#[test]
fn phrase_rules_on_the_fixtures() {
    let writer = spec(None, &[HARRY], &[]);
    let posts = lines("fixtures/posts_ru.txt");
    let find = |start: &str| posts.iter().find(|p| p.starts_with(start)).unwrap().clone();
    // ё is a letter: "Зелёная ёлка" is taken, and capitalised like Python's capitalize().
    assert_eq!(run(&writer, &find("Зелёная ёлка")).as_deref(), Some("Зелёная Ёлка"));
    // A genitive pair ("тайной комнаты") is not taken; the later nominative one is.
    assert_eq!(run(&writer, &find("У тайной комнаты")).as_deref(), Some("Узкая Дверь"));
    assert_eq!(run(&writer, &find("Без тёплой шапки")), None);
    // Blacklisted words (pronouns, determiners) are never taken.
    assert_eq!(run(&writer, &find("Какая погода")), None);
    assert_eq!(run(&writer, &find("Мой кот")), None);
    // The blacklisted pair is skipped and the next pair wins.
    assert_eq!(run(&writer, &find("Доброе утро")).as_deref(), Some("Рабочий День"));
    let no_pairs = spec(None, &["phrase:ADJF,nomn NOUN,nomn"], &[]);
    assert_eq!(run(&no_pairs, &find("Доброе утро")).as_deref(), Some("Доброе Утро"));
    // Mentions, links and RT prefixes are not words, so they never get in the way.
    assert_eq!(run(&writer, &find("RT @pogoda_bot")).as_deref(), Some("Сильный Ветер"));
    let found: Vec<String> = posts.iter().filter_map(|p| run(&writer, p)).collect();
    assert_eq!(found.len(), 32, "{found:?}");
    assert!(found.iter().all(|f| f.split(' ').count() == 2));
}

#[test]
fn phrase_options() {
    let blacklist = spec(None, &[&format!("{HARRY};blacklist=@fixtures/blacklist_ru.txt")], &[]);
    assert_eq!(run(&blacklist, "Старый дом на окраине снесут весной"), None);
    assert_eq!(run(&blacklist, "новая книга и тихий вечер").as_deref(), Some("Тихий Вечер"));
    // The file's content is stored, not its path.
    assert!(!blacklist.process[0].contains('@'));
    assert!(blacklist.process[0].contains("старый"));
    let keep = spec(None, &["phrase:ADJF,nomn NOUN,nomn;cap=keep"], &[]);
    assert_eq!(run(&keep, "ЗЕЛЁНАЯ ёлка").as_deref(), Some("ЗЕЛЁНАЯ ёлка"));
    let three = spec(None, &["phrase:ADJF ADJF NOUN;min-len=3"], &[]);
    assert_eq!(run(&three, "тихая тёплая ночь").as_deref(), Some("Тихая Тёплая Ночь"));
    let verb = spec(None, &["phrase:NOUN,nomn VERB"], &[]);
    assert_eq!(run(&verb, "Верный пёс ждёт хозяина").as_deref(), Some("Пёс Ждёт"));
}

#[test]
fn nouns_pick_and_agree() {
    let zaebot = spec(None, &["nouns:1;inflect=заебать"], &[]);
    assert_eq!(run(&zaebot, "Опять этот кот").as_deref(), Some("Заебал кот"));
    assert_eq!(run(&zaebot, "Опять эта кошка").as_deref(), Some("Заебала кошка"));
    assert_eq!(run(&zaebot, "Опять это окно").as_deref(), Some("Заебало окно"));
    assert_eq!(run(&zaebot, "Где мои ножницы?").as_deref(), Some("Заебали ножницы"));
    // Nouns come in their dictionary form.
    assert_eq!(run(&zaebot, "Сколько можно про котов").as_deref(), Some("Заебал кот"));
    let after = spec(None, &["nouns:1;inflect=новый;place=after;cap=lower"], &[]);
    assert_eq!(run(&after, "тут лежат ножницы").as_deref(), Some("ножницы новые"));
    assert_eq!(run(&after, "мне нужна лампа").as_deref(), Some("лампа новая"));
    // The choice depends only on the seed.
    let two = spec(None, &["nouns:2"], &[]);
    let text = "Кот, пёс и хомяк живут в одной квартире";
    let a = run_with(&two, text, &[], 7, &[], &[]).unwrap();
    assert_eq!(run_with(&two, text, &[], 7, &[], &[]).unwrap(), a);
    let picks: std::collections::BTreeSet<Option<String>> =
        (0..20).map(|seed| run_with(&two, text, &[], seed, &[], &[]).unwrap()).collect();
    assert!(picks.len() > 1, "{picks:?}");
    // Hot words are preferred, boring ones avoided.
    let one = spec(None, &["nouns:1;cap=lower"], &[]);
    for seed in 0..10 {
        assert_eq!(
            run_with(&one, text, &[], seed, &[], &words(&["хомяк"])).unwrap().as_deref(),
            Some("хомяк")
        );
        let out = run_with(&one, text, &[], seed, &words(&["кот", "пёс", "квартира"]), &[]).unwrap();
        assert_eq!(out.as_deref(), Some("хомяк"));
    }
    // Fewer nouns than asked for: skip.
    assert_eq!(run(&spec(None, &["nouns:3"], &[]), "кот и пёс"), None);
    let posts = lines("fixtures/posts_ru.txt");
    for p in &posts {
        if let Some(out) = run(&zaebot, p) {
            assert!(
                ["Заебал ", "Заебала ", "Заебало ", "Заебали "].iter().any(|v| out.starts_with(v)),
                "{out}"
            );
        }
    }
}

#[test]
fn replace_keeps_case_and_whole_words() {
    let writer = spec(None, &["replace:@fixtures/replace_ru.tsv"], &[]);
    assert_eq!(
        run(&writer, "Эта кошка опять спит на клавиатуре").as_deref(),
        Some("Эта собака опять спит на клавиатуре")
    );
    assert_eq!(run(&writer, "Кот, КОТ и кот").as_deref(), Some("Пёс, ПЁС и пёс"));
    assert_eq!(run(&writer, "Маленький котёнок").as_deref(), Some("Маленький щенок"));
    assert_eq!(run(&writer, "Доброе утро, страна!").as_deref(), Some("Добрый вечер, страна!"));
    assert_eq!(run(&writer, "Котлета на ужин"), None);
    let keep = spec(None, &["replace:кот=пёс;unmatched=keep"], &[]);
    assert_eq!(run(&keep, "Котлета на ужин").as_deref(), Some("Котлета на ужин"));
    let changed = lines("fixtures/posts_ru.txt").iter().filter(|p| run(&writer, p).is_some()).count();
    assert_eq!(changed, 4);
}

#[test]
fn markov_is_deterministic_and_never_copies() {
    let corpus = lines("fixtures/posts_en.txt");
    let writer = spec(None, &["markov:order=2"], &["strip-urls", "strip-mentions"]);
    let p = Pipeline::new(&writer).unwrap();
    assert!(p.needs_corpus());
    assert!(!p.needs_morphology());
    let out = run_with(&writer, &corpus[0], &corpus, 1, &[], &[]).unwrap();
    assert_eq!(out.as_deref(), Some("The night bus is the best part of the year"));
    for seed in 0..20 {
        let a = run_with(&writer, &corpus[0], &corpus, seed, &[], &[]).unwrap();
        assert_eq!(run_with(&writer, &corpus[0], &corpus, seed, &[], &[]).unwrap(), a);
        if let Some(a) = a {
            assert!(!corpus.iter().any(|c| c.contains(&a)), "{a}");
            assert!(!a.contains("http") && !a.contains('@'), "{a}");
        }
    }
    // A fixed seed in the spec wins over the run's.
    let fixed = spec(None, &["markov:order=2;seed=1"], &[]);
    let a = run_with(&fixed, &corpus[0], &corpus, 5, &[], &[]).unwrap();
    assert_eq!(run_with(&fixed, &corpus[0], &corpus, 6, &[], &[]).unwrap(), a);
    // One text can only be copied, so nothing comes out.
    let one = words(&["the cat sat on the mat today"]);
    assert_eq!(run_with(&writer, &one[0], &one, 1, &[], &[]).unwrap(), None);
    assert_eq!(run_with(&writer, "hello there", &[], 1, &[], &[]).unwrap(), None);
}

#[test]
fn markov_prefers_hot_and_avoids_boring_words() {
    let corpus = lines("fixtures/posts_en.txt");
    let writer = spec(None, &["markov:order=1;tries=200"], &["strip-urls", "strip-mentions"]);
    for seed in 0..5 {
        let hot = run_with(&writer, &corpus[0], &corpus, seed, &[], &words(&["library"])).unwrap().unwrap();
        assert!(hot.to_lowercase().contains("library"), "{hot}");
        let boring = run_with(&writer, &corpus[0], &corpus, seed, &words(&["the"]), &[]).unwrap();
        assert!(boring.is_none_or(|b| !b.to_lowercase().split(' ').any(|w| w == "the")));
    }
}

#[test]
fn exec_pipes_text_through_a_command() {
    let upper = spec(None, &["exec:tr a-z A-Z"], &[]);
    assert_eq!(run(&upper, "hello world").as_deref(), Some("HELLO WORLD"));
    let empty = spec(None, &["exec:cat >/dev/null"], &[]);
    assert_eq!(run(&empty, "hello"), None);
    let failing = spec(None, &["exec:exit 3"], &[]);
    let err = run_with(&failing, "hello", &[], 1, &[], &[]).unwrap_err();
    assert_eq!(err.kind, Kind::Config);
    assert!(err.message.contains("`exit 3`") && err.message.contains("exit status 3"), "{}", err.message);
    let hanging = spec(None, &["exec:sleep 30;timeout=1s"], &[]);
    let started = Instant::now();
    let err = run_with(&hanging, "hello", &[], 1, &[], &[]).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert_eq!(err.kind, Kind::TempFail);
    assert!(err.message.contains("timed out after 1s"), "{}", err.message);
    // A command that ignores its input and prints a lot still works.
    let loud = spec(None, &["exec:seq 1 100000 | tail -n 1"], &[]);
    assert_eq!(run(&loud, &"x".repeat(500_000)).as_deref(), Some("100000"));
}

/// Whether process `pid` is gone (or a zombie nobody reaped yet: a container's init may not).
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

#[test]
fn exec_background_children_neither_hide_the_output_nor_outlive_it() {
    // The command exits at once, leaving a process that holds its stdout open.
    for (cmd, want) in [
        ("exec:sleep 100 & echo hi", "hi"),
        ("exec:(sleep 100 &); echo out", "out"),
        ("exec:sleep 100 >/dev/null & tr a-z A-Z", "HELLO"),
        ("exec:sh -c 'sleep 100; echo late' & echo early", "early"),
    ] {
        let started = Instant::now();
        let got = run_with(&spec(None, &[cmd], &[]), "hello", &[], 1, &[], &[]);
        assert_eq!(got.unwrap().as_deref(), Some(want), "{cmd}");
        assert!(started.elapsed() < Duration::from_secs(3), "{cmd} took {:?}", started.elapsed());
    }
    // What it left in the background is killed with its process group.
    let pid = run(&spec(None, &["exec:sleep 100 >/dev/null 2>&1 & echo $!"], &[]), "x").unwrap();
    let pid: u32 = pid.parse().unwrap();
    let started = Instant::now();
    while !gone(pid) && started.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(gone(pid), "the background sleep {pid} is still running");
    // At the timeout too, with output already printed: an error, not that output.
    let started = Instant::now();
    let err = run_with(
        &spec(None, &["exec:echo partial; sleep 30 & wait;timeout=500ms"], &[]),
        "x",
        &[],
        1,
        &[],
        &[],
    )
    .unwrap_err();
    assert_eq!(err.kind, Kind::TempFail);
    assert!(err.message.contains("timed out after 500ms"), "{}", err.message);
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    // A failure in the background of a command that succeeds is not its failure; a command
    // killed by a signal is one.
    assert_eq!(run(&spec(None, &["exec:false & echo ok"], &[]), "x").as_deref(), Some("ok"));
    let err = run_with(&spec(None, &["exec:kill -9 $$"], &[]), "x", &[], 1, &[], &[]).unwrap_err();
    assert_eq!(err.kind, Kind::Config);
    assert!(err.message.contains("signal 9"), "{}", err.message);
}

#[test]
fn templates_fill_and_escape() {
    let braces = spec(Some("{{{}}} и снова {0}"), &[], &[]);
    assert_eq!(run(&braces, "кот").as_deref(), Some("{кот} и снова кот"));
    for bad in ["без места", "{name}", "{", "}"] {
        let err = WriterSpec::from_cli(Some(bad.to_string()), &[], &[]).unwrap_err();
        assert_eq!(err.kind, Kind::Usage);
        assert!(err.message.contains("--template") && err.message.contains("{}"), "{}", err.message);
    }
}

#[test]
fn filters_skip_and_clean_posts() {
    let posts = lines("fixtures/posts_ru.txt");
    let no_rt = spec(None, &[], &["no-retweets"]);
    assert_eq!(posts.iter().filter(|p| run(&no_rt, p).is_none()).count(), 3);
    let clean = spec(None, &[], &["strip-urls", "strip-mentions", "strip-hashtags"]);
    assert_eq!(
        run(&clean, "RT @citynews: Новый мост откроют в субботу https://example.org/most").as_deref(),
        Some("Новый мост откроют в субботу")
    );
    assert_eq!(
        run(&clean, "Какая погода, такое и настроение #понедельник").as_deref(),
        Some("Какая погода, такое и настроение")
    );
    let no_links = spec(None, &[], &["no-links", "no-mentions"]);
    assert_eq!(run(&no_links, "@lena_k спасибо"), None);
    assert_eq!(run(&no_links, "см. https://example.com"), None);
    assert_eq!(run(&no_links, "просто текст").as_deref(), Some("просто текст"));
    let blacklist = spec(None, &[HARRY], &["blacklist=ёлка,погода"]);
    assert_eq!(run(&blacklist, "Зелёная елка стоит"), None);
    assert_eq!(run(&blacklist, "Тайная комната").as_deref(), Some("Тайная Комната"));
    let lang = spec(None, &[], &["lang=en"]);
    assert_eq!(run(&lang, "привет"), None);
    assert_eq!(run(&lang, "hello").as_deref(), Some("hello"));
    let mut reply = post("a reply");
    reply.is_reply = true;
    let no_replies = Pipeline::new(&spec(None, &[], &["no-replies"])).unwrap();
    let nothing = Vec::new;
    let mut ctx = Ctx { corpus: &nothing, seed: 1, boring: &[], hot: &[] };
    assert_eq!(no_replies.run(&reply, &mut ctx).unwrap(), None);
}

#[test]
fn boring_and_hot_words_steer_the_phrase() {
    let writer = spec(None, &[HARRY], &[]);
    let text = "тайная комната и старый чемодан";
    assert_eq!(run_with(&writer, text, &[], 1, &[], &[]).unwrap().as_deref(), Some("Тайная Комната"));
    // Boring words are compared folded and, with the dictionary loaded, by normal form.
    let boring = words(&["комнаты"]);
    assert_eq!(run_with(&writer, text, &[], 1, &boring, &[]).unwrap().as_deref(), Some("Старый Чемодан"));
    let hot = words(&["чемоданы"]);
    assert_eq!(run_with(&writer, text, &[], 1, &[], &hot).unwrap().as_deref(), Some("Старый Чемодан"));
    // A processor without a choice: a boring word in the result skips the post.
    let plain = spec(None, &[], &[]);
    assert_eq!(run_with(&plain, "Ёлка горит", &[], 1, &words(&["елка"]), &[]).unwrap(), None);
}

#[test]
fn processors_chain_in_order() {
    let writer = spec(Some("Гарри Поттер и {}"), &["replace:кошка=собака", HARRY], &[]);
    assert_eq!(run(&writer, "Чёрная кошка спит").as_deref(), Some("Гарри Поттер и Чёрная Собака"));
}

#[test]
fn specs_are_stored_self_contained_and_described() {
    let dir = std::env::temp_dir().join(format!("farm-text-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let table = dir.join("table.tsv");
    std::fs::write(&table, "кот\tпёс\n# a comment; with | specials\nдом = хата\n").unwrap();
    let stored = spec(Some("Вот: {}"), &[&format!("replace:@{}", table.display())], &["no-retweets"]);
    std::fs::remove_dir_all(&dir).unwrap();
    let json = serde_json::to_string(&stored).unwrap();
    let back: WriterSpec = serde_json::from_str(&json).unwrap();
    assert_eq!(back, stored);
    assert_eq!(run(&back, "мой дом").as_deref(), Some("Вот: мой хата"));
    let described = back.describe();
    assert_eq!(described.len(), 3, "{described:?}");
    assert!(described[0].contains("Вот: {}"));
    assert!(described[1].contains("replace: 2 rules"));
    assert!(described[2].contains("skip reposts"));
    assert!(described.iter().all(|l| !l.contains('\n')));
    assert_eq!(WriterSpec::default().describe().len(), 2);
    assert_eq!(run(&WriterSpec::default(), "  just the text ").as_deref(), Some("just the text"));
}

#[test]
fn bad_specs_are_one_line_usage_errors() {
    let cases: &[(&[&str], &[&str], &str)] = &[
        (&["phrase:ADJ,nomn NOUN"], &[], "unknown grammeme 'ADJ'"),
        (&["phrase:NOUN;colour=red"], &[], "unknown option 'colour'"),
        (&["nouns:0"], &[], "count=0"),
        (&["nouns:1;inflect=кот"], &[], "inflect=кот"),
        (&["markov:order=5"], &[], "order=5"),
        (&["replace:@/nonexistent/table.tsv"], &[], "cannot read /nonexistent/table.tsv"),
        (&["exec:"], &[], "needs a command"),
        (&["exec:cat;timeout=forever"], &[], "timeout=forever"),
        (&["shout"], &[], "unknown processor 'shout'"),
        (&[], &["no-cats"], "unknown filter 'no-cats'"),
        (&[], &["blacklist=@/nonexistent/words.txt"], "cannot read"),
    ];
    for (process, filters, expected) in cases {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let err = WriterSpec::from_cli(None, &strings(process), &strings(filters)).unwrap_err();
        assert_eq!(err.kind, Kind::Usage, "{process:?} {filters:?}");
        assert!(err.message.contains(expected), "{}", err.message);
        assert!(!err.message.contains('\n'), "{}", err.message);
    }
    assert!(botfarm::text::HELP.contains("phrase:PATTERN"));
}

#[test]
fn lemmas_for_dedup() {
    assert_eq!(botfarm::text::lemma("Котами"), "кот");
    assert_eq!(botfarm::text::lemma("Ёлки"), "елка");
    assert_eq!(botfarm::text::lemma("Running"), "running");
}
