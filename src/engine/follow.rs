//! Following sources: a check lists every followed source newest first and downloads only
//! what is new into each one's folder.
//!
//! Why it is shaped this way: a check is one run of the engine (one job whose sources are
//! the follows), so every follow shares the run's one pool of downloads and one budget of
//! API requests, and a 429 or a spent quota met listing one holds back the others. What
//! makes it a check rather than a fetch is the [`FollowPlan`] the job carries: per source,
//! its folder and the ids already dealt with. The listing hands over only ids it does not
//! know, and once a source has been listed to its end it stops after the first page that
//! holds a known id (so a check with nothing new costs one request per source). The run's
//! download loop notes each id it ends (saved, already there, or deleted on Imgur) in the
//! plan, and the check writes them into the archive afterwards, with how each source went.
//!
//! The quota is planned before the first request from what the archive last saw of
//! Imgur's `X-RateLimit-*` headers: the sources checked longest ago go first, and those
//! the quota cannot cover are left for later, with the time it resets. During the check
//! the API client stops cleanly when a quota comes near its end (see `imgur`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::error::Quota;
use super::events::EventSink;
use super::events::RunEvent;
use super::followed::{CheckRequest, FollowError, FollowPlan, FollowRow, FollowTarget, followable, unix_now};
use super::job::{Job, JobInput, RunChoices};
use super::run::{RunOptions, run_job_with};
use super::source::Source;
use super::types::{Ending, RateLimits, RunId, RunReport, SourceStage};
use crate::archive::{Archive, FollowCheck, FollowRecord, Followed, QuotaSeen};

/// Requests of a quota a check leaves unspent besides one per request that may be in
/// flight (the same reserve the API client keeps).
const QUOTA_RESERVE: u64 = 10;
/// A client quota seen longer ago than this has reset since (Imgur's is daily).
const CLIENT_QUOTA_DAY: i64 = 24 * 3600;

/// Opens the archive on a blocking thread and runs `work` with it.
pub async fn with_archive<T: Send + 'static>(
    path: &Path,
    work: impl FnOnce(&Archive) -> Result<T, FollowError> + Send + 'static,
) -> Result<T, FollowError> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || work(&Archive::open(&path)?))
        .await
        .map_err(|error| FollowError::Task(error.to_string()))?
}

/// Follows each source into `out_dir`; says what became of each, by its followed form.
pub fn follow_all(
    archive: &Archive,
    sources: &[Source],
    out_dir: &Path,
) -> Result<Vec<(String, Followed)>, FollowError> {
    let folder = std::path::absolute(out_dir).unwrap_or_else(|_| out_dir.to_owned());
    let now = unix_now();
    sources.iter().map(|source| Ok((source.to_string(), archive.follow(&source.to_string(), &folder, now)?))).collect()
}

/// Every follow, with its new files.
pub fn rows(archive: &Archive) -> Result<Vec<FollowRow>, FollowError> {
    let follows = archive.follows()?;
    follows
        .into_iter()
        .map(|record| Ok(FollowRow { new_files: archive.follow_new_files(&record.source)?, record }))
        .collect()
}

/// Makes `change` to the archive (on a blocking thread), then sends the follows as they
/// are (`RunEvent::Follows`), or why they could not be changed or read.
pub async fn change_then_send(
    archive: PathBuf,
    events: EventSink,
    change: impl FnOnce(&Archive) -> Result<(), FollowError> + Send + 'static,
) {
    let listed = with_archive(&archive, |archive| {
        change(archive)?;
        rows(archive)
    })
    .await
    .map_err(Arc::new);
    if let Err(error) = &listed {
        tracing::warn!("cannot read or change the followed sources: {error}");
    }
    events.send(RunEvent::Follows(listed)).await;
}

/// A check as the engine runs it for the window: the check, then what it left and the
/// follows as they are after it.
pub async fn check_for_window(run: RunId, request: CheckRequest, events: EventSink, cancel: CancellationToken) {
    let archive = request.archive.clone();
    let checked = check(run, request, events.clone(), cancel, RunOptions::default()).await;
    let ended = match checked {
        Ok(checked) => {
            let error = checked
                .run
                .as_ref()
                .and_then(RunReport::fatal)
                .map(|fatal| Arc::new(FollowError::Stopped(fatal.clone())));
            RunEvent::FollowsChecked { not_checked: checked.not_checked, resume: checked.resume, error }
        }
        Err(error) => {
            tracing::warn!("the follow check could not run: {error}");
            RunEvent::FollowsChecked { not_checked: Vec::new(), resume: None, error: Some(Arc::new(error)) }
        }
    };
    events.send(ended).await;
    change_then_send(archive, events, |_| Ok(())).await;
}

/// How a check went.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// The run that checked (its sources are the follows checked, in order); `None` when
    /// nothing was checked (nothing followed, or no quota left).
    pub run: Option<RunReport>,
    /// Follows left unchecked because the quota would not cover them.
    pub not_checked: Vec<String>,
    /// Why some were left, and when the check can go on, in the user's words.
    pub resume: Option<String>,
    /// The follows as the archive holds them after the check.
    pub follows: Vec<FollowRecord>,
}

/// How many sources the quota seen last lets a check start, if it limits them: the
/// requests left, less the reserve, one each at least. With the reason and when it resets.
fn quota_allows(seen: Option<&QuotaSeen>, concurrency: usize, now: i64) -> Option<(u64, Quota)> {
    let seen = seen?;
    let reserve = QUOTA_RESERVE + concurrency as u64;
    let user = seen
        .user_remaining
        .filter(|_| seen.user_reset.is_some_and(|reset| reset as i64 > now))
        .map(|left| (left.saturating_sub(reserve), Quota::User { reset: seen.user_reset }));
    let client = seen
        .client_remaining
        .filter(|_| now - seen.seen_at < CLIENT_QUOTA_DAY)
        .map(|left| (left.saturating_sub(reserve), Quota::Client));
    [user, client].into_iter().flatten().min_by_key(|(left, _)| *left)
}

/// Checks every followed source (those the quota covers, longest unchecked first),
/// downloading only what is new, and records how each went. `events` hears the run's
/// events as a fetch's would.
pub async fn check(
    run: RunId,
    request: CheckRequest,
    events: EventSink,
    cancel: CancellationToken,
    options: RunOptions,
) -> Result<CheckReport, FollowError> {
    let (follows, known, seen) = with_archive(&request.archive, |archive| {
        let follows = archive.follows()?;
        let known = follows.iter().map(|follow| archive.follow_known(&follow.source)).collect::<Result<Vec<_>, _>>()?;
        Ok((follows, known, archive.quota()?))
    })
    .await?;
    let mut order: Vec<(FollowRecord, HashSet<String>)> = follows.into_iter().zip(known).collect();
    order.sort_by_key(|(follow, _)| (follow.checked_at.unwrap_or(i64::MIN), follow.added_at));
    let now = unix_now();
    let (mut not_checked, mut resume) = (Vec::new(), None);
    if let Some((left, quota)) = quota_allows(seen.as_ref(), request.concurrency, now) {
        let left = usize::try_from(left).unwrap_or(usize::MAX);
        if left < order.len() {
            not_checked = order.split_off(left).into_iter().map(|(follow, _)| follow.source).collect();
            resume = Some(format!(
                "Imgur's {quota} is nearly used up: {} of the followed sources were left for later; {}. Check again then",
                not_checked.len(),
                quota.resets()
            ));
        }
    }
    let mut targets = Vec::new();
    for (follow, known) in order {
        match followable(&follow.source) {
            Ok(source) => {
                targets.push(FollowTarget { source, folder: follow.out_dir, known, caught_up: follow.caught_up });
            }
            Err(error) => tracing::warn!("a followed source in the archive is not one galley knows: {error}"),
        }
    }
    if targets.is_empty() {
        let follows = with_archive(&request.archive, |archive| Ok(archive.follows()?)).await?;
        return Ok(CheckReport { run: None, not_checked, resume, follows });
    }

    let plan = Arc::new(FollowPlan::new(targets));
    let job = check_job(&request, plan.clone());
    let (inner, mut heard) = EventSink::channel();
    // Every event goes on to the caller; the least of each quota header is kept for the
    // next plan (answers arrive out of order, so the last one seen need not be the least).
    let forward = async move {
        let mut limits = RateLimits::default();
        while let Some(event) = heard.recv().await {
            if let RunEvent::RateLimit { limits: seen, .. } = &event {
                limits = least(&limits, seen);
            }
            events.send(event).await;
        }
        limits
    };
    let (report, limits) = tokio::join!(run_job_with(run, job, inner, cancel, options), forward);
    if let Ending::Failed(fatal) = &report.ending {
        resume.get_or_insert_with(|| fatal.message.clone());
    }
    let follows = record(&request.archive, &plan, &report, limits).await?;
    Ok(CheckReport { run: Some(report), not_checked, resume, follows })
}

/// Each quota at the least either says is left (the later reset with it).
fn least(a: &RateLimits, b: &RateLimits) -> RateLimits {
    let min = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    RateLimits {
        client_remaining: min(a.client_remaining, b.client_remaining),
        user_remaining: min(a.user_remaining, b.user_remaining),
        user_reset: a.user_reset.max(b.user_reset),
    }
}

/// The job of a check: one source per follow, each listed until what it already has.
fn check_job(request: &CheckRequest, plan: Arc<FollowPlan>) -> Job {
    let inputs = plan
        .targets()
        .iter()
        .map(|target| JobInput::Imgur {
            api_base: request.api_base.clone(),
            client_id: request.client_id.clone(),
            source: target.source.clone(),
            pages: None,
        })
        .collect();
    let first_folder = plan.targets().first().map(|target| target.folder.clone()).unwrap_or_default();
    let choices = RunChoices {
        concurrency: request.concurrency,
        thumbnails: request.thumbnails,
        archive: Some(request.archive.clone()),
        thumbnail_cache: request.thumbnail_cache.clone(),
        ..RunChoices::default()
    };
    let mut job = Job::planned(inputs, first_folder, choices);
    job.label = format!("follow check: {}", job.label);
    job.origin = request.origin;
    job.follow = Some(plan);
    job
}

/// Writes how each checked source went, and the quota last seen, into the archive.
async fn record(
    archive: &Path,
    plan: &FollowPlan,
    report: &RunReport,
    limits: RateLimits,
) -> Result<Vec<FollowRecord>, FollowError> {
    let checked_at = unix_now();
    let mut checks = Vec::new();
    for ((target, items), source) in plan.targets().iter().zip(plan.take_ended()).zip(&report.sources) {
        if source.stage == SourceStage::Waiting {
            continue; // the run ended before it was listed
        }
        let error = source.error().map(ToString::to_string);
        let listed_whole = error.is_none() && source.listing_done && !report.cancelled() && source.failed == 0;
        // A listing cut short after saving some new items must not stop at them next
        // time: the older ones it did not reach would never be listed.
        let caught_up = match listed_whole {
            true => true,
            false if items.is_empty() => target.caught_up,
            false => false,
        };
        let check = FollowCheck { checked_at, new: source.downloaded, failed: source.failed, error, caught_up, items };
        checks.push((target.source.to_string(), check));
    }
    let seen = (limits != RateLimits::default()).then_some(QuotaSeen {
        client_remaining: limits.client_remaining,
        user_remaining: limits.user_remaining,
        user_reset: limits.user_reset,
        seen_at: checked_at,
    });
    with_archive(archive, move |archive| {
        for (source, check) in &checks {
            archive.record_follow_check(source, check)?;
        }
        if let Some(seen) = &seen {
            archive.save_quota(seen)?;
        }
        Ok(archive.follows()?)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_quota_seen_is_kept_whatever_order_the_answers_came_in() {
        let limits =
            |client, user, reset| RateLimits { client_remaining: client, user_remaining: user, user_reset: reset };
        let kept = least(&limits(Some(50), Some(14), Some(7)), &limits(Some(40), Some(16), Some(8)));
        assert_eq!(kept, limits(Some(40), Some(14), Some(8)));
        assert_eq!(least(&RateLimits::default(), &limits(None, Some(3), None)), limits(None, Some(3), None));
    }

    #[test]
    fn the_quota_seen_last_limits_how_many_sources_a_check_starts() {
        let now = 1_000_000;
        let seen = |client, user, reset: Option<u64>| QuotaSeen {
            client_remaining: client,
            user_remaining: user,
            user_reset: reset,
            seen_at: now - 60,
        };
        assert_eq!(quota_allows(None, 16, now), None, "never seen: no limit known");
        let hour_later = Some(now as u64 + 3600);
        assert_eq!(quota_allows(Some(&seen(Some(5000), Some(30), hour_later)), 16, now).map(|(left, _)| left), Some(4));
        let (left, quota) = quota_allows(Some(&seen(Some(20), Some(1000), hour_later)), 16, now).unwrap();
        assert_eq!((left, quota), (0, Quota::Client));
        let reset_passed = Some(now as u64 - 1);
        assert_eq!(quota_allows(Some(&seen(None, Some(0), reset_passed)), 16, now), None, "the hour has reset");
        let old = QuotaSeen { seen_at: now - CLIENT_QUOTA_DAY - 1, ..seen(Some(0), None, None) };
        assert_eq!(quota_allows(Some(&old), 16, now), None, "a day has passed");
    }
}
