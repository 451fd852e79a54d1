//! Conformance with Tracery's documented behaviour (galaxykate/tracery's readme, pytracery's
//! tests/test_tracery.py, the grammar of v21/tracery, which CBDQ runs), the limits, and the
//! hosts' grammars.

use super::*;

/// pytracery's test grammar (tests/test_tracery.py), as JSON.
const PYTRACERY: &str = r##"{
    "deepHash": ["\\#00FF00", "\\#FF00FF"],
    "deeperHash": ["#deepHash#"],
    "animal": ["bear", "cat", "dog", "fox", "giraffe", "hippopotamus"],
    "mood": ["quiet", "morose", "gleeful", "happy", "bemused", "clever", "jovial", "vexatious",
             "curious", "anxious", "obtuse", "serene", "demure"],
    "nonrecursiveStory": ["The #pet# went to the beach."],
    "name": ["Cheri", "Fox", "Morgana", "Jedoo", "Brick", "Shadow", "Krox", "Urga", "Zelph"],
    "story": ["#hero.capitalize# was a great #occupation#, and this song tells of #heroTheir# adventure. #hero.capitalize# #didStuff#, then #heroThey# #didStuff#, then #heroThey# went home to read a book."],
    "monster": ["dragon", "ogre", "witch", "wizard", "goblin", "golem", "giant", "sphinx", "warlord"],
    "setPronouns": ["[heroThey:they][heroThem:them][heroTheir:their][heroTheirs:theirs]",
                    "[heroThey:she][heroThem:her][heroTheir:her][heroTheirs:hers]",
                    "[heroThey:he][heroThem:him][heroTheir:his][heroTheirs:his]"],
    "setOccupation": ["[occupation:baker][didStuff:baked bread,decorated cupcakes,folded dough,made croissants,iced a cake]",
                      "[occupation:warrior][didStuff:fought #monster.a#,saved a village from #monster.a#,battled #monster.a#,defeated #monster.a#]"],
    "pet": ["#animal#"],
    "origin": ["#[#setPronouns#][#setOccupation#][hero:#name#]story#"]
}"##;

/// The test grammar with `origin` replaced by `rule`, generated with `seed`.
fn flatten_with(rule: &str, seed: u64) -> Result<String, String> {
    let mut json: serde_json::Value = serde_json::from_str(PYTRACERY).unwrap();
    json["origin"] = serde_json::json!([rule]);
    let g = Tracery::from_json(&json.to_string())?;
    g.generate(seed).map(|p| p.text)
}

fn flatten(rule: &str) -> String {
    flatten_with(rule, 1).unwrap_or_else(|e| panic!("{rule}: {e}"))
}

fn grammar(json: &str) -> Tracery {
    Tracery::from_json(json).unwrap_or_else(|e| panic!("{}: {e}", grammar::short(json)))
}

#[test]
fn plain_text_and_escapes() {
    assert_eq!(flatten("a"), "a");
    assert_eq!(flatten("\"test\" and 'test'"), "\"test\" and 'test'");
    assert_eq!(flatten(r"\#escape hash\# and escape slash\\"), r"#escape hash# and escape slash\");
    assert_eq!(flatten(r"\[\]"), "[]");
    assert_eq!(flatten(r"\#"), "#");
    assert_eq!(flatten(r"\\"), r"\");
    assert_eq!(
        flatten(r"An action can have inner tags: \[key:\#rule\#\]"),
        "An action can have inner tags: [key:#rule#]"
    );
    assert_eq!(
        flatten(r##"A tag can have inner actions: "\#\[myName:\#name\#\]story\[myName:POP\]\#""##),
        r##"A tag can have inner actions: "#[myName:#name#]story[myName:POP]#""##
    );
    assert_eq!(flatten("💻🐋🌙🏄🍻"), "💻🐋🌙🏄🍻");
    assert_eq!(flatten(r"&\#x2665; &\#9749;"), "&#x2665; &#9749;");
}

#[test]
fn escapes_survive_a_push() {
    // pytracery test_escape_deep: an escaped # pushed by an action stays a character.
    for seed in 0..20 {
        let out = flatten_with("#deepHash# [myColor:#deeperHash#] #myColor#", seed).unwrap();
        assert!(
            ["#00FF00  #00FF00", "#00FF00  #FF00FF", "#FF00FF  #00FF00", "#FF00FF  #FF00FF"]
                .contains(&out.as_str()),
            "{out}"
        );
    }
}

#[test]
fn pushes_pops_and_tag_actions() {
    for seed in 0..50 {
        // test_push_basic: the pushed pet is the same every time it is used.
        let out = flatten_with("[pet:#animal#]You have a #pet#. Your #pet# is #mood#.", seed).unwrap();
        let pet = out.strip_prefix("You have a ").unwrap().split('.').next().unwrap().to_string();
        assert!(out.starts_with(&format!("You have a {pet}. Your {pet} is ")), "{out}");
        // test_push_pop: after POP the first pushed pet is back.
        let out =
            flatten_with("[pet:#animal#]You have a #pet#. [pet:#animal#]Pet:#pet# [pet:POP]Pet:#pet#", seed)
                .unwrap();
        let first = out.strip_prefix("You have a ").unwrap().split('.').next().unwrap().to_string();
        assert!(out.ends_with(&format!("Pet:{first}")), "{out}");
        // test_tag_action: a tag's push holds inside the tag and is popped after it, leaving the
        // grammar's own pet.
        let out = flatten_with("#[pet:#mood# #animal#]nonrecursiveStory# post:#pet#", seed).unwrap();
        let inner = out.strip_prefix("The ").unwrap().split(" went").next().unwrap();
        assert!(inner.contains(' '), "the pushed pet is used inside the tag: {out}");
        let after = out.split("post:").nth(1).unwrap();
        assert!(!after.contains(' '), "the grammar's pet after it: {out}");
    }
}

#[test]
fn the_complex_grammar_sets_pronouns_and_occupation_once() {
    let g = grammar(PYTRACERY);
    for seed in 0..50 {
        let out = g.generate(seed).unwrap().text;
        assert!(out.contains(", and this song tells of "), "{out}");
        let hero = out.split(' ').next().unwrap();
        assert!(out.contains(&format!(" adventure. {hero} ")), "the hero is fixed for the story: {out}");
        let they = ["they", "she", "he"].iter().filter(|p| out.contains(&format!(", then {p} "))).count();
        assert_eq!(they, 1, "one set of pronouns: {out}");
        assert!(!out.contains('#') && !out.contains('['), "{out}");
    }
}

#[test]
fn modifiers_with_parameters_and_string_rules() {
    let out = flatten("[pet:#animal#]#nonrecursiveStory# -> #nonrecursiveStory.replace(beach,mall)#");
    assert!(out.contains(" went to the beach. -> "), "{out}");
    assert!(out.ends_with(" went to the mall."), "{out}");
    // test_string_input, test_upper_and_lowercase: one text instead of a list.
    let g = grammar(
        r##"{"origin": "#hello.capitalize#, #location#!", "hello": ["hello"], "location": ["world"]}"##,
    );
    assert_eq!(g.generate(0).unwrap().text, "Hello, world!");
    let g = grammar(
        r##"{"origin": "#hello.lowercase#, #location.uppercase#!", "hello": "Hello", "location": "world"}"##,
    );
    assert_eq!(g.generate(0).unwrap().text, "hello, WORLD!");
    // Modifiers apply in order.
    let g = grammar(r##"{"origin": "#x.s.capitalize# #x.capitalize.a#", "x": "owl"}"##);
    assert_eq!(g.generate(0).unwrap().text, "Owls an Owl");
}

#[test]
fn the_readme_example_keeps_its_hero_and_pet() {
    let g = grammar(
        r##"{
        "name": ["Arjun","Yuuma","Darcy","Mia","Chiaki","Izzi","Azra","Lina"],
        "animal": ["unicorn","raven","sparrow","scorpion","coyote","eagle","owl","lizard","zebra","duck","kitten"],
        "mood": ["vexed","indignant","impassioned","wistful","astute","courteous"],
        "story": ["#hero# traveled with her pet #heroPet#.  #hero# was never #mood#, for the #heroPet# was always too #mood#."],
        "origin": ["#[hero:#name#][heroPet:#animal#]story#"]
    }"##,
    );
    for seed in 0..30 {
        let out = g.generate(seed).unwrap().text;
        let hero = out.split(' ').next().unwrap();
        let pet = out.split("pet ").nth(1).unwrap().split('.').next().unwrap();
        assert!(out.contains(&format!(".  {hero} was never ")), "{out}");
        assert!(out.contains(&format!("for the {pet} was always too ")), "{out}");
    }
}

#[test]
fn repetition_weighs_a_choice() {
    let g = grammar(r#"{"origin": ["a", "a", "a", "b"]}"#);
    let a = (0..4000).filter(|s| g.generate(*s).unwrap().text == "a").count();
    assert!((2800..3200).contains(&a), "{a} of 4000");
}

#[test]
fn the_same_seed_gives_the_same_post_and_seeds_differ() {
    let g = grammar(PYTRACERY);
    let mut texts = HashSet::new();
    for n in 1..=200 {
        for attempt in 0..3 {
            let s = seed("w", n, attempt);
            let a = g.generate(s).unwrap();
            assert_eq!(a, g.generate(s).unwrap(), "seed {s}");
            // A grammar read again from what is stored generates the same.
            assert_eq!(a, Tracery::from_json(&g.to_json()).unwrap().generate(s).unwrap());
            texts.insert(a.text);
        }
    }
    assert!(texts.len() > 300, "{} different texts of 600", texts.len());
    assert_ne!(seed("w", 1, 0), seed("w", 2, 0));
    assert_ne!(seed("w", 1, 0), seed("w", 1, 1));
    assert_ne!(seed("w", 1, 0), seed("v", 1, 0));
    // The seed is part of the stored format of every pending post: it must never change.
    assert_eq!(seed("w", 1, 0), 0x48e6_89e7_6813_8e51, "{:#x}", seed("w", 1, 0));
}

#[test]
fn mistakes_are_found_when_the_grammar_is_read() {
    for (json, words) in [
        (r#"{"start": ["x"]}"#, "no 'origin' rule"),
        (r##"{"origin": ["#unicorns#"]}"##, "uses #unicorns#, which no rule defines"),
        (r##"{"origin": ["#unmatched"]}"##, "rule 'origin': a '#' that is never closed"),
        (r#"{"origin": ["[pet:unicorn"]}"#, "'[' that is never closed"),
        (r#"{"origin": ["a", "pet:unicorn]"]}"#, "rule 'origin', choice 2: a ']' without"),
        (r##"{"origin": ["#x.foo#"], "x": ["y"]}"##, "unknown modifier .foo"),
        (r#"{"origin": []}"#, "has no choices"),
        (r##"{"origin": ["#a#"], "a": ["#b#"], "b": ["x #a#"]}"##, "rule 'origin' can never finish"),
        (r##"{"origin": ["#origin##origin#"]}"##, "rule 'origin' can never finish"),
        (r##"{"origin": ["#x.agree(nope)#"], "x": ["y"]}"##, "uses #nope#"),
        (r#"{"origin": ["{img https://example.com/a.png}"]}"#, "does not post images"),
        (r#"{"origin": ["{label spicy}"]}"#, "self-labels"),
        (r#"{"origin": 7}"#, "rule \"origin\""),
        ("[1, 2]", "not a Tracery grammar"),
        ("", "not a Tracery grammar"),
        (r#"{"origin": ["x"]"#, "not a Tracery grammar"),
    ] {
        let e = Tracery::from_json(json).map(|_| ()).unwrap_err();
        assert!(e.contains(words), "{json}: {e}");
    }
    // A rule nobody reaches may be broken, as in the hosts.
    assert!(Tracery::from_json(r##"{"origin": ["x"], "unused": ["#nothing#"]}"##).is_ok());
}

#[test]
fn exploding_grammars_fail_cleanly() {
    // Every expansion makes three more on average: refused when tried out.
    let g = grammar(r##"{"origin": ["#a#"], "a": ["x", "#a# #a# #a# #a#"]}"##);
    let e = g.try_out().unwrap_err();
    assert!(e.contains("tried out") && e.contains("'a'"), "{e}");
    // Finite, but 8^7 words: the step and size limits stop it.
    let g = grammar(
        r##"{"origin": ["#b#"], "b": ["#c##c##c##c##c##c##c##c#"], "c": ["#d##d##d##d##d##d##d##d#"],
        "d": ["#e##e##e##e##e##e##e##e#"], "e": ["#f##f##f##f##f##f##f##f#"], "f": ["#g##g##g##g##g##g##g##g#"],
        "g": ["#h##h##h##h##h##h##h##h#"], "h": ["#i##i##i##i##i##i##i##i#"], "i": ["word "]}"##,
    );
    assert!(g.generate(1).unwrap_err().contains("steps"));
    // Long text doubled again and again: the size limit.
    let long = "x".repeat(60_000);
    let g = grammar(&format!(
        r##"{{"origin": ["#a##a##a##a##a##a##a##a##a##a##a##a##a##a##a##a##a##a#"], "a": ["{long}"]}}"##
    ));
    assert!(g.generate(1).unwrap_err().contains("KiB of text"));
    // A chain 100 rules long: the depth limit.
    let mut chain: Vec<String> = (0..100).map(|i| format!(r##""r{i}": ["#r{}#"]"##, i + 1)).collect();
    chain.push(r##""r100": ["end"], "origin": ["#r0#"]"##.into());
    let g = grammar(&format!("{{{}}}", chain.join(",")));
    assert!(g.generate(1).unwrap_err().contains("nested more than 64"));
    // A pop that empties a rule the grammar then uses.
    let g = grammar(r##"{"origin": ["#[pet:cat]x# #pet#"], "x": ["y"]}"##);
    assert!(g.generate(1).unwrap_err().contains("'pet' has no choices"));
    assert!(g.try_out().is_err());
    // Too big to read at all.
    let big = format!(r#"{{"origin": ["{}"]}}"#, "x".repeat(MAX_GRAMMAR_BYTES));
    assert!(Tracery::from_json(&big).unwrap_err().contains("at most 256 KiB"));
    // Nested too deep for the JSON reader.
    let deep = format!(r#"{{"origin": {}{}}}"#, "[".repeat(200_000), "]".repeat(200_000));
    assert!(Tracery::from_json(&deep).is_err());
}

#[test]
fn a_cbdq_bot_runs_unchanged() {
    // In the style of Cheap Bots Done Quick's examples: weights by repetition, a function action
    // that sets several rules, POP, escapes and modifiers.
    let g = grammar(
        r##"{
        "origin": ["#[#setCharacter#]tale#", "#[#setCharacter#]tale#", "\\#nowplaying #song.inQuotes#"],
        "setCharacter": ["[them:#animal#][they:#animal.s#]", "[them:#plant#][they:#plant.s#]"],
        "tale": ["Once, #them.a# met #them.a#. Now the #they# rule the #place#.[them:POP]"],
        "animal": ["owl", "fox", "yak", "emu"],
        "plant": ["ivy", "fern", "oak"],
        "place": ["woods", "hills"],
        "song": ["#adj.capitalize# #noun.capitalizeAll#"],
        "adj": ["sad", "long"], "noun": ["blue river", "red sky"]
    }"##,
    );
    g.try_out().unwrap();
    let mut kinds = HashSet::new();
    for s in 0..60 {
        let t = g.generate(s).unwrap().text;
        if let Some(song) = t.strip_prefix("#nowplaying \"") {
            assert!(song.ends_with('"') && song.chars().next().unwrap().is_uppercase(), "{t}");
            kinds.insert("song");
        } else {
            let them = t.strip_prefix("Once, ").unwrap().split(" met ").next().unwrap();
            assert!(t.contains(&format!(" met {them}.")), "{t}");
            assert!(them.starts_with("a ") || them.starts_with("an "), "{t}");
            kinds.insert("tale");
        }
    }
    assert_eq!(kinds.len(), 2);
}

#[test]
fn a_bbdq_bot_sets_language_labels_and_warning() {
    let g = grammar(
        r##"{"origin": ["#monster.capitalize# at the door!{lang en}{label graphic-media}{cut #monster.s#}"],
            "monster": ["ghoul", "ghost"]}"##,
    );
    let p = g.generate(3).unwrap();
    assert!(p.text.ends_with(" at the door!") && !p.text.contains('{'), "{}", p.text);
    assert_eq!(p.meta.lang.as_deref(), Some("en"));
    assert_eq!(p.meta.labels, vec!["graphic-media"]);
    assert!(["ghouls", "ghosts"].contains(&p.meta.warning.as_deref().unwrap()), "{:?}", p.meta);
    // A shortcode a rule builds is checked when generated.
    let g = grammar(r##"{"origin": ["x{#k# y}"], "k": ["img"]}"##);
    assert!(g.generate(1).unwrap_err().contains("does not post images"));
}

#[test]
fn russian_modifiers_in_a_grammar() {
    let g = grammar(
        r##"{"origin": ["#[з:#зверь#][ц:#цвет#]фраза#"],
            "фраза": ["Нет #ц.agree(з).gent# #з.gent#, есть #ц.agree(з)# #з#."],
            "зверь": ["кошка", "волк", "окно"], "цвет": ["серый", "белый"]}"##,
    );
    let mut seen = HashSet::new();
    for s in 0..40 {
        let t = g.generate(s).unwrap().text;
        assert!(
            [
                "Нет серой кошки, есть серая кошка.",
                "Нет белой кошки, есть белая кошка.",
                "Нет серого волка, есть серый волк.",
                "Нет белого волка, есть белый волк.",
                "Нет серого окна, есть серое окно.",
                "Нет белого окна, есть белое окно.",
            ]
            .contains(&t.as_str()),
            "{t}"
        );
        seen.insert(t);
    }
    assert_eq!(seen.len(), 6);
    let g = grammar(r##"{"origin": ["#зверь.plur.capitalize#, #зверь.ablt#"], "зверь": ["серый волк"]}"##);
    assert_eq!(g.generate(0).unwrap().text, "Серые волки, серым волком");
}

#[test]
fn big_hostile_grammars_are_read_in_time_linear_in_their_size() {
    // No timing here (benches/ has the speed): a quadratic step would make this test take minutes.
    // 10,000 rules, each able to finish only through the next.
    let mut chain: Vec<String> = (0..10_000).map(|i| format!(r##""s{i}":["#s{}#"]"##, i + 1)).collect();
    chain.push(r##""s10000":["end"],"origin":["#s0#"]"##.into());
    let json = format!("{{{}}}", chain.join(","));
    assert!(json.len() <= MAX_GRAMMAR_BYTES, "{}", json.len());
    let g = grammar(&json);
    assert!(g.generate(1).unwrap_err().contains("nested more than 64"));
    // One key given 15,000 times: the last one counts.
    let json = format!("{{{}\"origin\":[\"last\"]}}", "\"origin\":[\"x\"],".repeat(15_000));
    assert_eq!(grammar(&json).generate(1).unwrap().text, "last");
    // 40,000 shortcodes never closed, and as many almost-shortcodes.
    for piece in ["{cut ", "{cutx "] {
        let json = format!(r#"{{"origin": ["{}}}"]}}"#, piece.repeat(40_000));
        assert!(grammar(&json).generate(1).is_ok());
    }
}
