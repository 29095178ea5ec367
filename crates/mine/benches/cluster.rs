//! Clustering benchmark: 1k, 10k and 100k concrete edits, median of several runs, and the cost of each 10×
//! step (the target is at most 15× per 10× step, i.e. near-linear).
//!
//! The edits are generated: a dozen real fix shapes (`$A.len() == 0 → $A.is_empty()`, saturating arithmetic,
//! `unwrap_or_default`, …) instantiated with random receivers, mixed with as many random one-off edits, so
//! that buckets hold both families and noise as in real histories. Run with
//! `cargo bench -p mine --bench cluster` (add `-- 1000 10000` to choose sizes).

use std::time::Instant;

use mine::{ClusterConfig, cluster};
use pattern::Pattern;

const FAMILIES: &[(&str, &str)] = &[
    ("$A.len() == 0", "$A.is_empty()"),
    ("$A.len() != 0", "!$A.is_empty()"),
    ("$A - $B", "$A.saturating_sub($B)"),
    ("$A + $B", "$A.saturating_add($B)"),
    ("$A.unwrap_or(Vec::new())", "$A.unwrap_or_default()"),
    ("$A.unwrap_or(String::new())", "$A.unwrap_or_default()"),
    ("$A.iter().count()", "$A.len()"),
    ("$A.clone().into_iter()", "$A.iter().cloned()"),
    ("$A.get(0)", "$A.first()"),
    ("$A.map(|x| x.clone())", "$A.cloned()"),
    ("&$A[..]", "$A.as_slice()"),
    ("$A.unwrap()", "$A?"),
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

fn expr(rng: &mut Rng, depth: u32) -> String {
    const NAMES: &[&str] = &[
        "v",
        "items",
        "buf",
        "self.items",
        "self.queue",
        "opts",
        "data",
        "x",
        "n",
        "len",
        "pos",
    ];
    const FIELDS: &[&str] = &["inner", "items", "rest", "head", "buf"];
    match if depth == 0 { 0 } else { rng.next() % 4 } {
        0 => rng.pick(NAMES).to_owned(),
        1 => format!("{}.{}", expr(rng, depth - 1), rng.pick(FIELDS)),
        2 => format!("{}()", rng.pick(&["foo", "bar", "make", "get_items"])),
        _ => format!(
            "{}.{}()",
            expr(rng, depth - 1),
            rng.pick(&["borrow", "lock", "as_ref"])
        ),
    }
}

fn edits(n: usize, seed: u64) -> Vec<Pattern> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            let (before, after) = if i % 2 == 0 {
                let (b, a) = FAMILIES[(rng.next() % FAMILIES.len() as u64) as usize];
                let (x, y) = (expr(&mut rng, 2), expr(&mut rng, 1));
                (
                    b.replace("$A", &x).replace("$B", &y),
                    a.replace("$A", &x).replace("$B", &y),
                )
            } else {
                // A one-off edit: a call whose callee and arguments change arbitrarily.
                let f = rng.pick(&["run", "check", "push", "insert", "emit"]);
                let g = rng.pick(&["go", "verify", "add", "put", "send"]);
                (
                    format!("{f}({}, {})", expr(&mut rng, 2), expr(&mut rng, 1)),
                    format!("{g}({})", expr(&mut rng, 2)),
                )
            };
            Pattern::parse(&before, &after, (None, None)).expect("generated edits parse")
        })
        .collect()
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if args.is_empty() {
        vec![1_000, 10_000, 100_000]
    } else {
        args
    };
    let runs = 3;
    let mut medians = Vec::new();
    for &n in &sizes {
        let input = edits(n, 0x5eed);
        let mut times = Vec::new();
        let mut clusters = 0;
        for _ in 0..runs {
            let start = Instant::now();
            let d = cluster(&input, &ClusterConfig::default());
            times.push(start.elapsed().as_secs_f64());
            clusters = d.clusters.len();
        }
        times.sort_by(f64::total_cmp);
        let median = times[runs / 2];
        println!("cluster n={n:>7}: median {median:.3} s over {runs} runs ({clusters} clusters)");
        medians.push((n, median));
    }
    for pair in medians.windows(2) {
        let ((n0, t0), (n1, t1)) = (pair[0], pair[1]);
        println!(
            "cluster {n0} -> {n1} ({}x edits): {:.1}x time (target <= 15x)",
            n1 / n0,
            t1 / t0
        );
    }
}
