//! Which host of a team calendar gets a booking, among those free for the
//! chosen slot.
//!
//! Two policies, as agencies know them from Calendly and GoHighLevel:
//!
//! - **availability**: the highest priority first, then the host booked
//!   least recently, then a seeded random tie-break (reproducible: the
//!   same booking picks the same host on a retry);
//! - **equal distribution**: the host furthest below its weighted share
//!   (bookings ÷ weight, lowest first), then priority, least recently
//!   booked and the seeded tie-break.
//!
//! Counts are never reset when hosts join or leave (Calendly resets them,
//! so a newcomer is flooded or an old hand starved). A host who joins late
//! starts with an *adjustment*: the bookings it would have had at the
//! team's current pace, so it gets its share from then on, not a backlog.

use jiff::Timestamp;

/// How a team calendar spreads its bookings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Availability,
    EqualDistribution,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Availability => "availability",
            Policy::EqualDistribution => "equal_distribution",
        }
    }

    pub fn parse(s: &str) -> Option<Policy> {
        match s {
            "availability" => Some(Policy::Availability),
            "equal_distribution" => Some(Policy::EqualDistribution),
            _ => None,
        }
    }
}

/// A host free for the slot, with what the policies weigh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Higher first (availability policy, and ties of the other).
    pub priority: i32,
    /// Relative share of bookings (equal distribution); 0 counts as 1.
    pub weight: u32,
    /// Live bookings of this calendar the host had.
    pub bookings: u64,
    /// Bookings credited when the host joined (see the module docs).
    pub adjustment: u64,
    pub last_booked: Option<Timestamp>,
}

/// The index of the chosen candidate; `None` only when there is none.
pub fn choose(policy: Policy, candidates: &[Candidate], seed: u64) -> Option<usize> {
    let tie = |i: usize| mix(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    // Never booked sorts first among "least recently booked".
    let recency = |c: &Candidate| c.last_booked.unwrap_or(Timestamp::MIN);
    (0..candidates.len()).min_by(|&a, &b| {
        let (ca, cb) = (&candidates[a], &candidates[b]);
        let share = match policy {
            Policy::Availability => std::cmp::Ordering::Equal,
            Policy::EqualDistribution => load(ca).cmp_ratio(&load(cb)),
        };
        share
            .then(cb.priority.cmp(&ca.priority))
            .then(recency(ca).cmp(&recency(cb)))
            .then(tie(a).cmp(&tie(b)))
    })
}

/// The adjustment for a host joining with `weight`: the bookings it would
/// have had if it had always been on the team at the others' pace.
pub fn joining_adjustment(team: &[Candidate], weight: u32) -> u64 {
    let (booked, weights) = team.iter().fold((0u128, 0u128), |(b, w), c| {
        (
            b + u128::from(c.bookings + c.adjustment),
            w + u128::from(c.weight.max(1)),
        )
    });
    if weights == 0 {
        return 0;
    }
    u64::try_from(booked * u128::from(weight.max(1)) / weights).unwrap_or(u64::MAX)
}

/// Bookings per unit of weight, as an exact fraction.
struct Load {
    count: u128,
    weight: u128,
}

impl Load {
    fn cmp_ratio(&self, other: &Load) -> std::cmp::Ordering {
        (self.count * other.weight).cmp(&(other.count * self.weight))
    }
}

fn load(c: &Candidate) -> Load {
    Load {
        count: u128::from(c.bookings) + u128::from(c.adjustment),
        weight: u128::from(c.weight.max(1)),
    }
}

/// splitmix64: a well-spread hash of the seed, for the tie-break.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(weight: u32) -> Candidate {
        Candidate {
            priority: 0,
            weight,
            bookings: 0,
            adjustment: 0,
            last_booked: None,
        }
    }

    /// Books `n` slots, each with the hosts free in `free(i)`, updating the
    /// counts as the database would; returns bookings per host.
    fn simulate(
        policy: Policy,
        team: &mut [Candidate],
        n: u64,
        free: impl Fn(u64) -> Vec<usize>,
    ) -> Vec<u64> {
        let mut clock: Timestamp = "2026-06-01T00:00:00Z".parse().expect("t");
        for i in 0..n {
            let ids = free(i);
            let offered: Vec<Candidate> = ids.iter().map(|&h| team[h]).collect();
            let pick = choose(policy, &offered, i).expect("someone is free");
            let chosen = &mut team[ids[pick]];
            chosen.bookings += 1;
            chosen.last_booked = Some(clock);
            clock = clock
                .checked_add(jiff::SignedDuration::from_mins(30))
                .expect("t");
        }
        team.iter().map(|c| c.bookings).collect()
    }

    #[test]
    fn weights_one_one_two_land_within_three_percent_over_a_thousand_bookings() {
        let mut team = [host(1), host(1), host(2)];
        // Hosts are not always all free: every 7th slot host 2 is busy.
        let counts = simulate(Policy::EqualDistribution, &mut team, 1000, |i| {
            if i % 7 == 0 {
                vec![0, 1]
            } else {
                vec![0, 1, 2]
            }
        });
        for (count, target) in counts.iter().zip([0.25, 0.25, 0.5]) {
            let share = *count as f64 / 1000.0;
            assert!(
                (share - target).abs() <= 0.03,
                "{counts:?}: share {share} vs {target}"
            );
        }
    }

    #[test]
    fn a_host_joining_later_gets_its_share_from_then_on_not_a_backlog() {
        let mut team = vec![host(1), host(1)];
        simulate(Policy::EqualDistribution, &mut team, 400, |_| vec![0, 1]);
        let adjustment = joining_adjustment(&team, 1);
        assert_eq!(adjustment, 200, "the pace of the others");
        team.push(Candidate {
            adjustment,
            ..host(1)
        });
        let before: Vec<u64> = team.iter().map(|c| c.bookings).collect();
        let after = simulate(Policy::EqualDistribution, &mut team, 300, |_| vec![0, 1, 2]);
        let gained: Vec<u64> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
        assert_eq!(gained, [100, 100, 100], "no flood for the newcomer");
    }

    #[test]
    fn availability_takes_priority_then_least_recently_booked() {
        let t = |s: &str| Some(s.parse::<Timestamp>().expect("t"));
        let a = Candidate {
            priority: 1,
            last_booked: t("2026-06-01T10:00:00Z"),
            ..host(1)
        };
        let b = Candidate {
            priority: 1,
            last_booked: t("2026-06-01T09:00:00Z"),
            ..host(1)
        };
        let low = Candidate {
            priority: 0,
            ..host(5)
        };
        assert_eq!(choose(Policy::Availability, &[a, low, b], 7), Some(2));
        assert_eq!(choose(Policy::Availability, &[low], 7), Some(0));
        assert_eq!(choose(Policy::Availability, &[], 7), None);
    }

    #[test]
    fn ties_are_broken_by_the_seed_reproducibly_and_fairly() {
        let team = [host(1), host(1), host(1)];
        assert_eq!(
            choose(Policy::Availability, &team, 42),
            choose(Policy::Availability, &team, 42),
            "the same seed, the same host"
        );
        let mut seen = [0u32; 3];
        for seed in 0..300 {
            seen[choose(Policy::Availability, &team, seed).expect("one")] += 1;
        }
        assert!(seen.iter().all(|&n| n > 70), "{seen:?}");
    }
}
