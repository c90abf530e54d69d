//! The value axis: a domain that starts at zero and ends on a nice tick,
//! with 3 to 5 ticks on steps of 1, 2 or 5 times a power of ten.

/// The ticks of a value axis, lowest first.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Ticks {
    /// Tick values; the first is the domain's low end, the last its high end.
    pub values: Vec<f64>,
    /// The step's power of ten (step = m · 10^exp, m ∈ {1, 2, 5}).
    pub exp: i32,
}

impl Ticks {
    pub fn lo(&self) -> f64 {
        self.values.first().copied().unwrap_or(0.0)
    }
    pub fn hi(&self) -> f64 {
        self.values.last().copied().unwrap_or(1.0)
    }
    /// The largest magnitude on the axis (decides `1,5 M`).
    pub fn max_abs(&self) -> f64 {
        self.lo().abs().max(self.hi().abs())
    }
}

/// Ticks covering `lo..=hi` and zero. `min_step` keeps counts on whole
/// numbers (no "0,5 leads"). At most 4 intervals; when the data fits in one
/// step, the axis gets a second one so there are always at least 3 ticks.
pub(super) fn ticks(lo: f64, hi: f64, min_step: f64) -> Ticks {
    let lo = lo.min(0.0);
    let hi = hi.max(0.0);
    let span = (hi - lo).max(min_step);
    let mut exp = (span / 4.0).log10().floor() as i32 - 1;
    loop {
        for m in [1.0, 2.0, 5.0] {
            let step = m * 10f64.powi(exp);
            if step < min_step * (1.0 - 1e-9) {
                continue;
            }
            // A hair of tolerance so 100 / 50 is 2 steps, not 3.
            let first = (lo / step + 1e-9).floor() as i64;
            let mut last = (hi / step - 1e-9).ceil() as i64;
            if last - first > 4 {
                continue;
            }
            if last - first < 2 {
                last = first + 2;
            }
            let values = (first..=last).map(|k| k as f64 * step).collect();
            return Ticks { values, exp };
        }
        exp += 1;
    }
}

/// A linear map from values in `lo..=hi` to a pixel range.
#[derive(Debug, Clone, Copy)]
pub(super) struct Linear {
    lo: f64,
    hi: f64,
    from: f64,
    to: f64,
}

impl Linear {
    pub fn new(ticks: &Ticks, from: f64, to: f64) -> Self {
        Linear {
            lo: ticks.lo(),
            hi: ticks.hi(),
            from,
            to,
        }
    }
    pub fn at(&self, v: f64) -> f64 {
        let span = self.hi - self.lo;
        if span <= 0.0 {
            return self.from;
        }
        self.from + (v - self.lo) / span * (self.to - self.from)
    }
}
