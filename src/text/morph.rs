//! Russian morphology for the writers: the OpenCorpora dictionary (pymorphy2 format, the same data
//! `rsmorphy-dict-ru` ships) is embedded in the binary, zstd-compressed, and analysed with `rsmorphy`.
//!
//! Nothing is loaded until a function here is first called; then the dictionary is unpacked from
//! memory once per process (about 40 ms and 20 MB) and kept in a [`OnceLock`]. No files are read, so
//! a `farm` binary copied alone to another machine works the same.
//!
//! Grammemes are OpenCorpora's names, case-sensitive as in the dictionary: `NOUN`, `ADJF`, `nomn`,
//! `femn`, `plur`, … ([`GRAMMEMES`] lists them).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{BufReader, Read};
use std::sync::OnceLock;

use rsmorphy::dawg::{CompletionDawg, Dawg};
use rsmorphy::opencorpora::dictionary::{Dictionary, GrammemeMeta};
use rsmorphy::opencorpora::grammeme::GrammemeReg;
use rsmorphy::opencorpora::paradigm::ParadigmEntry;
use rsmorphy::opencorpora::OpencorporaTagReg;
use rsmorphy::prelude::*;

use super::words::fold;

/// A set of grammemes, e.g. `{"NOUN", "inan", "femn", "sing", "nomn"}`.
pub type Grammemes = BTreeSet<String>;

/// One possible analysis of a word.
#[derive(Debug, Clone, PartialEq)]
pub struct Parse {
    /// The dictionary form (lemma), lower-case, with `ё` where the dictionary has it.
    pub normal_form: String,
    /// The grammemes of this analysis.
    pub grammemes: Grammemes,
    /// The analyser's estimate of how likely this analysis is (0..1); parses come best first.
    pub score: f64,
}

/// Every grammeme name the dictionary and the analyser use (OpenCorpora's, plus the analyser's
/// own `LATN`, `NUMB`, `intg`, `real`, `ROMN`, `PNCT`, `UNKN`).
pub const GRAMMEMES: &[&str] = &[
    "POST", "NOUN", "ADJF", "ADJS", "COMP", "VERB", "INFN", "PRTF", "PRTS", "GRND", "NUMR", "ADVB", "NPRO",
    "PRED", "PREP", "CONJ", "PRCL", "INTJ", "ANim", "anim", "inan", "GNdr", "masc", "femn", "neut", "Ms-f",
    "NMbr", "sing", "plur", "Sgtm", "Pltm", "Fixd", "CAse", "nomn", "gent", "datv", "accs", "ablt", "loct",
    "voct", "gen1", "gen2", "acc2", "loc1", "loc2", "Abbr", "Name", "Surn", "Patr", "Geox", "Orgn", "Trad",
    "Subx", "Supr", "Qual", "Apro", "Anum", "Poss", "V-ey", "V-oy", "Cmp2", "V-ej", "ASpc", "perf", "impf",
    "TRns", "tran", "intr", "Impe", "Impx", "Mult", "Refl", "PErs", "1per", "2per", "3per", "TEns", "pres",
    "past", "futr", "MOod", "indc", "impr", "INvl", "incl", "excl", "VOic", "actv", "pssv", "Infr", "Slng",
    "Arch", "Litr", "Erro", "Dist", "Ques", "Dmns", "Prnt", "V-be", "V-en", "V-ie", "V-bi", "Fimp", "Prdx",
    "Coun", "Coll", "V-sh", "Af-p", "Inmx", "Vpre", "Anph", "Init", "Adjx", "LATN", "NUMB", "intg", "real",
    "ROMN", "PNCT", "UNKN",
];

/// The grammeme named `name`, spelled as the dictionary spells it; the match ignores case
/// (`noun` → `NOUN`, `Nomn` → `nomn`). `None` for an unknown name.
pub fn canonical_grammeme(name: &str) -> Option<&'static str> {
    GRAMMEMES
        .iter()
        .find(|g| **g == name)
        .or_else(|| GRAMMEMES.iter().find(|g| g.eq_ignore_ascii_case(name)))
        .copied()
}

/// Whether the dictionary has been loaded in this process (nothing here loads it).
pub fn is_loaded() -> bool {
    ANALYZER.get().is_some()
}

/// Load the dictionary now (it is otherwise loaded on first use).
pub fn load() {
    analyzer();
}

/// All analyses of `word` (any case), best first. Empty for an empty word.
pub fn parses(word: &str) -> Vec<Parse> {
    let word = word.trim();
    if word.is_empty() {
        return Vec::new();
    }
    let m = analyzer();
    let lower = word.to_lowercase();
    if !safe_to_parse(m, &lower) {
        return Vec::new();
    }
    m.parse(&lower)
        .iter()
        .map(|p| Parse {
            normal_form: p.lex.get_normal_form(m).to_lowercase(),
            grammemes: grammemes_of(p.lex.get_tag(m)),
            score: p.score.value(),
        })
        .collect()
}

/// The dictionary form of `word`, lower-case (`котом` → `кот`, `зеленая` → `зелёный`): of the
/// analyses that are not proper names (when there are such), one where the word is its own
/// dictionary form (`море`, not the locative of `мор`), else the most likely. Words the analyser
/// does not know come back lower-cased.
pub fn normal_form(word: &str) -> String {
    let lower = word.trim().to_lowercase();
    let all = parses(&lower);
    let common = common_parses(&all);
    let own = common.iter().find(|p| fold(&p.normal_form) == fold(&lower));
    own.or(common.first()).map(|p| p.normal_form.clone()).unwrap_or(lower)
}

/// The analyses of `all` that are not proper names (`Name`, `Surn`, `Patr`, `Geox`, `Orgn`,
/// `Trad`), or all of them when every one is. Post text is lower-cased before analysis, so a
/// common-noun reading is the likelier one.
pub fn common_parses(all: &[Parse]) -> Vec<&Parse> {
    const PROPER: [&str; 6] = ["Name", "Surn", "Patr", "Geox", "Orgn", "Trad"];
    let common: Vec<&Parse> =
        all.iter().filter(|p| !PROPER.iter().any(|g| p.grammemes.contains(*g))).collect();
    if common.is_empty() {
        all.iter().collect()
    } else {
        common
    }
}

/// A lemma for comparing words, e.g. in dedup: the normal form of a word with Cyrillic letters, the
/// word itself otherwise; lower-case and with `ё` folded to `е` (`Ёлки` → `елка`, `Cats` → `cats`).
/// Loads the dictionary on first use when the word has Cyrillic letters.
pub fn lemma(word: &str) -> String {
    if word.chars().any(is_cyrillic) {
        fold(&normal_form(word))
    } else {
        fold(word)
    }
}

/// The form of `word` that has all of `grammemes`, e.g. `inflect("заебать", &["VERB", "past",
/// "femn", "sing"])` → `заебала`. Of the matching forms of the word's most likely lexeme the one
/// closest to the word's own analysis wins. `None` when no form has them all.
pub fn inflect(word: &str, grammemes: &[&str]) -> Option<String> {
    let word = word.trim();
    if word.is_empty() {
        return None;
    }
    let m = analyzer();
    let lower = word.to_lowercase();
    if !safe_to_parse(m, &lower) {
        return None;
    }
    for parsed in m.parse(&lower).iter() {
        let own = grammemes_of(parsed.lex.get_tag(m));
        // For a word guessed from its ending ("known suffix"), rsmorphy's lexeme slices at a wrong
        // byte offset and can panic on paradigms with prefixes (по-, наи-); the suffix is only a
        // label there, so the lexeme of the underlying dictionary paradigm is the same and safe.
        let left = &parsed.lex.stack.stack.left;
        let forms: Vec<Lex> = if left.affix.as_ref().is_some_and(|a| a.is_known_suffix()) {
            left.stack.iter_lexeme(m).collect()
        } else {
            parsed.lex.iter_lexeme(m).collect()
        };
        let mut best: Option<(usize, String)> = None;
        for form in forms {
            let tags = grammemes_of(form.get_tag(m));
            if !grammemes.iter().all(|g| tags.contains(*g)) {
                continue;
            }
            let closeness = tags.intersection(&own).count();
            if best.as_ref().is_none_or(|(c, _)| closeness > *c) {
                best = Some((closeness, form.get_word().to_lowercase()));
            }
        }
        if let Some((_, form)) = best {
            return Some(form);
        }
    }
    None
}

/// Whether `c` is a Russian letter (`а`–`я`, `ё`, either case).
pub fn is_cyrillic(c: char) -> bool {
    matches!(c, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё')
}

/// Whether rsmorphy can analyse `lower` without panicking. Its analyser for unknown words asserts
/// that a word has at least 3 letters (pymorphy2 just skips it), and it is reached for unknown short
/// words and for the short parts of unknown hyphenated ones (`ыы`, `по-ыы`, `ы-то`). Such words
/// get no analysis here.
fn safe_to_parse(m: &MorphAnalyzer, lower: &str) -> bool {
    if is_known(m, lower) {
        return true;
    }
    lower.chars().count() >= 3 && lower.split('-').all(|part| part.chars().count() >= 3 || is_known(m, part))
}

/// Whether the dictionary has `lower` (with `е` standing for `ё` too).
fn is_known(m: &MorphAnalyzer, lower: &str) -> bool {
    !m.dict.words.similar_items(lower, &m.dict.char_substitutes).is_empty()
}

fn grammemes_of(tag: &OpencorporaTagReg) -> Grammemes {
    tag.string.split([',', ' ']).filter(|g| !g.is_empty()).map(str::to_string).collect()
}

static ANALYZER: OnceLock<MorphAnalyzer> = OnceLock::new();

fn analyzer() -> &'static MorphAnalyzer {
    ANALYZER.get_or_init(|| MorphAnalyzer::new(load_dictionary()))
}

// The dictionary files, zstd-compressed (see dict/README.md for where they come from).
static META: &[u8] = include_bytes!("dict/meta.json.zst");
static SUFFIXES: &[u8] = include_bytes!("dict/suffixes.json.zst");
static GRAMTAB: &[u8] = include_bytes!("dict/gramtab-opencorpora-int.json.zst");
static GRAMMEMES_JSON: &[u8] = include_bytes!("dict/grammemes.json.zst");
static PARADIGMS: &[u8] = include_bytes!("dict/paradigms.array.zst");
static WORDS: &[u8] = include_bytes!("dict/words.dawg.zst");
static P_T_GIVEN_W: &[u8] = include_bytes!("dict/p_t_given_w.intdawg.zst");
static PREDICTION_PREFIXES: &[u8] = include_bytes!("dict/prediction-prefixes.dawg.zst");
static PREDICTION_SUFFIXES: [&[u8]; 3] = [
    include_bytes!("dict/prediction-suffixes-0.dawg.zst"),
    include_bytes!("dict/prediction-suffixes-1.dawg.zst"),
    include_bytes!("dict/prediction-suffixes-2.dawg.zst"),
];

// The data is part of the binary and checked by the tests, so failing to read it is a bug.
const BAD_DATA: &str = "the embedded morphology dictionary is corrupt";

/// Give back the memory pages that held an embedded file once it has been decompressed: they are
/// clean pages of the binary, so the kernel drops them and reads them again only if asked. This
/// keeps the writer run's peak memory down by the size of the compressed dictionary (~6 MB).
fn release(data: &'static [u8]) {
    #[cfg(target_os = "linux")]
    {
        extern "C" {
            fn madvise(addr: *mut std::ffi::c_void, len: usize, advice: i32) -> i32;
        }
        const PAGE: usize = 4096;
        const MADV_DONTNEED: i32 = 4;
        let start = (data.as_ptr() as usize).div_ceil(PAGE) * PAGE;
        let end = (data.as_ptr() as usize + data.len()) / PAGE * PAGE;
        if end > start {
            // SAFETY: the range lies inside a read-only, file-backed mapping of this binary
            // that nothing writes; dropping its pages only makes a later read fault them in.
            unsafe {
                madvise(start as *mut std::ffi::c_void, end - start, MADV_DONTNEED);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = data;
}

/// A buffered reader that decompresses one embedded file as it is read.
fn reader(data: &'static [u8]) -> impl Read {
    BufReader::with_capacity(1 << 16, zstd::stream::read::Decoder::with_buffer(data).expect(BAD_DATA))
}

fn json<T: serde::de::DeserializeOwned>(data: &'static [u8]) -> T {
    let bytes = zstd::stream::decode_all(data).expect(BAD_DATA);
    serde_json::from_slice(&bytes).expect(BAD_DATA)
}

/// Build rsmorphy's `Dictionary` from the embedded files. This is rsmorphy 0.4's
/// `Dictionary::from_file` (which can only read gzip files from a directory) reading from memory;
/// the largest file is unpacked on a second thread.
fn load_dictionary() -> Dictionary {
    std::thread::scope(|scope| {
        let words = scope.spawn(|| {
            let dawg = CompletionDawg::from_reader(&mut reader(WORDS));
            release(WORDS);
            dawg
        });

        let meta: Vec<(String, serde_json::Value)> = json(META);
        let meta: HashMap<String, serde_json::Value> = meta.into_iter().collect();
        let options = &meta["compile_options"];
        let paradigm_prefixes: Vec<String> = options["paradigm_prefixes"]
            .as_array()
            .expect(BAD_DATA)
            .iter()
            .map(|v| v.as_str().expect(BAD_DATA).to_string())
            .collect();
        let max_suffix_length = meta.get("prediction_options").unwrap_or(options)["max_suffix_length"]
            .as_u64()
            .expect(BAD_DATA) as usize;
        let prediction_splits = (1..=max_suffix_length).rev().collect();
        let paradigm_prefixes_rev =
            paradigm_prefixes.iter().enumerate().rev().map(|(i, p)| (i as u16, p.clone())).collect();

        let suffixes: Vec<String> = json(SUFFIXES);
        let gramtab: Vec<String> = json(GRAMTAB);
        let gramtab = gramtab.into_iter().map(OpencorporaTagReg::new).collect();
        let grammemes: Vec<Vec<serde_json::Value>> = json(GRAMMEMES_JSON);
        let grammemes: HashMap<Grammeme, GrammemeReg> =
            grammemes.into_iter().map(GrammemeReg::from_json).map(|g| (g.name.clone(), g)).collect();
        let grammeme_metas = grammeme_metas(&grammemes);
        let paradigms = paradigms(&zstd::stream::decode_all(PARADIGMS).expect(BAD_DATA));

        let p_t_given_w = CompletionDawg::from_reader(&mut reader(P_T_GIVEN_W));
        release(P_T_GIVEN_W);
        let prediction_prefixes = Dawg::from_reader(&mut reader(PREDICTION_PREFIXES));
        let prediction_suffixes_dawgs = PREDICTION_SUFFIXES[..paradigm_prefixes.len()]
            .iter()
            .map(|data| {
                let dawg = CompletionDawg::from_reader(&mut reader(data));
                release(data);
                dawg
            })
            .collect();
        let char_substitutes = BTreeMap::from([("е".to_string(), "ё".to_string())]);
        let words = words.join().expect(BAD_DATA);
        Dictionary {
            meta,
            grammemes,
            grammeme_metas,
            gramtab,
            suffixes,
            paradigms,
            words,
            p_t_given_w,
            prediction_prefixes,
            prediction_suffixes_dawgs,
            paradigm_prefixes,
            paradigm_prefixes_rev,
            prediction_splits,
            char_substitutes,
        }
    })
}

/// Parents, children and incompatibilities of the grammemes, computed as rsmorphy does.
fn grammeme_metas(grammemes: &HashMap<Grammeme, GrammemeReg>) -> HashMap<Grammeme, GrammemeMeta> {
    let mut metas: HashMap<Grammeme, GrammemeMeta> = HashMap::new();
    for (index, name) in grammemes.keys().enumerate() {
        metas.entry(name.clone()).or_insert(GrammemeMeta { index, ..GrammemeMeta::default() });
    }
    for (name, reg) in grammemes {
        if let Some(parent) = &reg.parent {
            metas.get_mut(parent).expect(BAD_DATA).children.insert(name.clone());
        }
    }
    // As in pymorphy2: plural is incompatible with every gender.
    let plur = Grammeme::new("plur");
    let gndr = Grammeme::new("GNdr");
    let mut genders: HashSet<Grammeme> = metas[&gndr].children.clone();
    genders.insert(gndr);
    for name in grammemes.keys() {
        let meta = metas.get_mut(name).expect(BAD_DATA);
        if *name == plur {
            meta.incompatible.extend(genders.iter().filter(|g| *g != name).cloned());
        }
        let children: Vec<Grammeme> = meta.children.iter().filter(|g| *g != name).cloned().collect();
        meta.incompatible.extend(children);
    }
    metas
}

/// `paradigms.array`: a u16 count, then per paradigm a u16 length and that many u16 (little-endian).
fn paradigms(bytes: &[u8]) -> Vec<Vec<ParadigmEntry>> {
    let numbers: Vec<u16> = bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    let count = *numbers.first().expect(BAD_DATA) as usize;
    let mut result = Vec::with_capacity(count);
    let mut pos = 1;
    for _ in 0..count {
        let len = numbers[pos] as usize;
        result.push(ParadigmEntry::build(&numbers[pos + 1..pos + 1 + len]));
        pos += 1 + len;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(word: &str, normal: &str, tags: &[&str]) -> bool {
        parses(word).iter().any(|p| p.normal_form == normal && tags.iter().all(|t| p.grammemes.contains(*t)))
    }

    #[test]
    fn parses_known_words() {
        assert!(has("тайная", "тайный", &["ADJF", "femn", "sing", "nomn"]));
        assert!(has("комната", "комната", &["NOUN", "femn", "nomn"]));
        assert!(has("Ёлка", "ёлка", &["NOUN", "nomn"]));
        assert!(has("елка", "ёлка", &["NOUN", "nomn"]));
        assert!(has("котом", "кот", &["NOUN", "ablt"]));
        assert!(parses("").is_empty());
    }

    #[test]
    fn normal_forms_and_lemmas() {
        assert_eq!(normal_form("людьми"), "человек");
        assert_eq!(normal_form("зеленая"), "зелёный");
        assert_eq!(normal_form("море"), "море");
        assert_eq!(normal_form("сахара"), "сахар");
        assert_eq!(lemma("Зелёными"), "зеленый");
        assert_eq!(lemma("Cats"), "cats");
    }

    #[test]
    fn inflects_by_gender_and_number() {
        let past = |g: &[&str]| inflect("заебать", &[&["VERB", "past"], g].concat());
        assert_eq!(past(&["masc", "sing"]).as_deref(), Some("заебал"));
        assert_eq!(past(&["femn", "sing"]).as_deref(), Some("заебала"));
        assert_eq!(past(&["neut", "sing"]).as_deref(), Some("заебало"));
        assert_eq!(past(&["plur"]).as_deref(), Some("заебали"));
        assert_eq!(inflect("котом", &["nomn", "sing"]).as_deref(), Some("кот"));
        assert_eq!(inflect("кот", &["VERB"]), None);
    }

    #[test]
    fn odd_input_does_not_panic() {
        for w in ["-", "ё", "Ъ", "123", "abc", "кот-", "--", "а-б-в", "ЁЁЁ", "@кот", "x\u{301}"]
        {
            let _ = parses(w);
            let _ = inflect(w, &["plur"]);
        }
    }

    #[test]
    fn random_words_do_not_panic() {
        let letters: Vec<char> = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяabcxyz019-'.IVX".chars().collect();
        let mut rng = crate::text::rng::Rng::new(99);
        for _ in 0..3000 {
            let len = 1 + rng.below(9) as usize;
            let word: String = (0..len).map(|_| letters[rng.below(letters.len() as u64) as usize]).collect();
            let _ = parses(&word);
            let _ = inflect(&word, &["plur"]);
        }
        let stems = ["кульн", "зубодробительн", "крышесносн", "ыхн", "бабахн"];
        for stem in stems {
            for ending in ["ый", "ая", "ое", "ые", "ее", "ейший"] {
                for wanted in [&["femn", "sing"][..], &["plur"], &["COMP"], &["Supr", "nomn"]] {
                    let _ = inflect(&format!("{stem}{ending}"), wanted);
                }
            }
        }
        for prefix in ["по-", "", "-"] {
            for stem in ["ыы", "ы", "аб", "кот", "ъ"] {
                for suffix in ["-то", "-ка", "-таки", "-с", ""] {
                    let _ = parses(&format!("{prefix}{stem}{suffix}"));
                }
            }
        }
    }

    #[test]
    fn grammeme_names() {
        assert_eq!(canonical_grammeme("noun"), Some("NOUN"));
        assert_eq!(canonical_grammeme("Nomn"), Some("nomn"));
        assert_eq!(canonical_grammeme("ADJ"), None);
    }
}
