//! [`CampaignStore`] for every [`Backend`], written once.

use async_trait::async_trait;
use chorus_shared::api::PacingSettings;
use chorus_shared::campaign::{CampaignCounts, RecipientStatus, RecipientView};
use chorus_shared::merge::field_key;
use chorus_shared::message::MessageKind;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::backend::{Args as _, Backend, Fetch as _, SqlStore};
use super::campaign::{
    CampaignRecord, CampaignStore, FeedHistory, FeedItem, NewCampaign, SpreadsheetRecord,
};
use super::rows::{millis, time, CampaignRow, PacingRow, RecipientRow};
use super::statement::{Arg, Statement};
use super::{unique_means, AccountRef, Conflict, StoreResult};

const CAMPAIGN_COLUMNS: &str = "id, name, state, paused_reason, template, kind, attachment_id, \
     source, created_by, created_at, starts_at, finished_at";

/// Recipients a bulk insert writes per statement (11 values each, well
/// within SQLite's 32,766 bound values).
const RECIPIENTS_PER_STATEMENT: usize = 1000;

/// The message statuses of a campaign message still on its way to the host.
const IN_FLIGHT: &str = "('queued', 'sending')";

async fn counted<B: Backend>(
    conn: &mut B::Connection,
    row: CampaignRow,
) -> StoreResult<CampaignRecord> {
    let rows: Vec<(String, Option<String>, i64)> = sqlx::query::<B>(
        "SELECT r.status, m.status, COUNT(*) FROM campaign_recipients r \
         LEFT JOIN messages m ON m.id = r.message_id \
         WHERE r.campaign_id = $1 GROUP BY r.status, m.status",
    )
    .arg(row.id)
    .all(&mut *conn)
    .await?;
    let mut counts = CampaignCounts::default();
    let mut ready = 0;
    for (recipient, message, count) in rows {
        let count = count as u32;
        counts.total += count;
        match (recipient.as_str(), message.as_deref()) {
            ("skipped", _) => counts.skipped += count,
            ("cancelled", _) => counts.cancelled += count,
            ("ready", _) => {
                ready += count;
                counts.queued += count;
            }
            (_, Some("queued")) => counts.queued += count,
            (_, Some("sending")) => counts.sending += count,
            (_, Some("sent")) => counts.sent += count,
            (_, Some("delivered")) => {
                counts.sent += count;
                counts.delivered += count;
            }
            (_, Some("read")) => {
                counts.sent += count;
                counts.delivered += count;
                counts.read += count;
            }
            (_, Some("cancelled")) => counts.cancelled += count,
            _ => counts.failed += count,
        }
    }
    let (replied,): (i64,) = sqlx::query::<B>(
        "SELECT COUNT(*) FROM campaign_recipients r JOIN messages m ON m.id = r.message_id \
         WHERE r.campaign_id = $1 AND m.status IN ('sent', 'delivered', 'read') \
         AND EXISTS (SELECT 1 FROM messages i WHERE i.chat_id = m.chat_id \
                     AND i.direction = 'incoming' AND i.id > m.id)",
    )
    .arg(row.id)
    .one(&mut *conn)
    .await?;
    counts.replied = replied as u32;
    Ok(row.into_record(counts, ready))
}

#[async_trait]
impl<B: Backend> CampaignStore for SqlStore<B> {
    async fn create_spreadsheet(
        &self,
        account: AccountRef,
        record: &SpreadsheetRecord,
        uploaded_by: Uuid,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        ensure_account::<B>(&mut tx, account).await?;
        sqlx::query::<B>(
            "INSERT INTO spreadsheets (id, account_id, name, size, uploaded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .arg(record.id)
        .arg(account.id())
        .arg(record.name.as_str())
        .arg(record.size)
        .arg(uploaded_by)
        .arg(millis(record.created_at))
        .run(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn spreadsheet(
        &self,
        account: AccountRef,
        id: Uuid,
    ) -> StoreResult<Option<SpreadsheetRecord>> {
        let row: Option<(Uuid, String, i64, i64)> = sqlx::query::<B>(
            "SELECT id, name, size, created_at FROM spreadsheets WHERE account_id = $1 AND id = $2",
        )
        .arg(account.id())
        .arg(id)
        .one_or_none(&mut *self.read.acquire().await?)
        .await?;
        Ok(row.map(|(id, name, size, created_at)| SpreadsheetRecord {
            id,
            name,
            size,
            created_at: time(created_at),
        }))
    }

    async fn create_campaign(&self, campaign: NewCampaign, now: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        ensure_account::<B>(&mut tx, campaign.account).await?;
        sqlx::query::<B>(
            "INSERT INTO campaigns (id, account_id, name, name_key, state, template, kind, \
             attachment_id, source, created_by, created_at, starts_at) \
             VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $9, $10, $11)",
        )
        .arg(campaign.id)
        .arg(campaign.account.id())
        .arg(campaign.name.as_str())
        .arg(field_key(&campaign.name).as_str())
        .arg(campaign.template.as_deref())
        .arg(campaign.kind.as_str())
        .arg(campaign.attachment_id)
        .arg(campaign.source.as_str())
        .arg(campaign.created_by)
        .arg(millis(now))
        .arg(campaign.starts_at.map(millis))
        .run(&mut *tx)
        .await
        .map_err(unique_means(Conflict::CampaignNameTaken))?;
        let numbered: Vec<(usize, &crate::campaigns::recipients::Recipient)> =
            campaign.recipients.iter().enumerate().collect();
        for chunk in numbered.chunks(RECIPIENTS_PER_STATEMENT) {
            let mut statement = Statement::<B>::new(
                "INSERT INTO campaign_recipients (campaign_id, position, account_id, row_number, \
                 phone, name, text, status, reason) VALUES ",
            );
            statement.rows(chunk.iter(), |(index, recipient)| {
                vec![
                    campaign.id.into(),
                    Arg::Int(*index as i64 + 1),
                    campaign.account.id().into(),
                    Arg::OptInt(recipient.row.map(i64::from)),
                    recipient.phone.clone().into(),
                    recipient.name.clone().into(),
                    recipient.text.clone().into(),
                    if recipient.problem.is_some() {
                        "skipped"
                    } else {
                        "ready"
                    }
                    .into(),
                    recipient.problem.clone().into(),
                ]
            });
            statement.query().run(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn campaign(&self, account: AccountRef, id: Uuid) -> StoreResult<Option<CampaignRecord>> {
        let mut conn = self.read.acquire().await?;
        let sql =
            format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE account_id = $1 AND id = $2");
        let row: Option<CampaignRow> = sqlx::query::<B>(&sql)
            .arg(account.id())
            .arg(id)
            .one_or_none(&mut *conn)
            .await?;
        match row {
            Some(row) => Ok(Some(counted::<B>(&mut conn, row).await?)),
            None => Ok(None),
        }
    }

    async fn campaigns(&self, account: AccountRef) -> StoreResult<Vec<CampaignRecord>> {
        let mut conn = self.read.acquire().await?;
        let sql = format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE account_id = $1 \
             ORDER BY created_at DESC, id DESC"
        );
        let rows: Vec<CampaignRow> = sqlx::query::<B>(&sql)
            .arg(account.id())
            .all(&mut *conn)
            .await?;
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            records.push(counted::<B>(&mut conn, row).await?);
        }
        Ok(records)
    }

    async fn move_campaign(
        &self,
        account: AccountRef,
        id: Uuid,
        from: &[&str],
        to: &str,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.write.begin().await?;
        let ends = matches!(to, "finished" | "cancelled");
        let mut statement = Statement::<B>::new("UPDATE campaigns SET state = ");
        statement
            .arg(to)
            .push(", paused_reason = ")
            .arg(reason.map(str::to_owned))
            .push(", finished_at = ")
            .arg(Arg::OptInt(ends.then(|| millis(now))))
            .push(" WHERE account_id = ")
            .arg(account.id())
            .push(" AND id = ")
            .arg(id)
            .push(" AND state IN (")
            .list(from.iter().copied())
            .push(")");
        let moved = statement.query().run(&mut *tx).await? > 0;
        if moved && to == "cancelled" {
            sqlx::query::<B>(
                "UPDATE campaign_recipients SET status = 'cancelled' \
                 WHERE campaign_id = $1 AND status = 'ready'",
            )
            .arg(id)
            .run(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(moved)
    }

    async fn delete_draft(&self, account: AccountRef, id: Uuid) -> StoreResult<bool> {
        let mut tx = self.write.begin().await?;
        let draft: Option<(Uuid,)> = sqlx::query::<B>(
            "SELECT id FROM campaigns WHERE account_id = $1 AND id = $2 AND state = 'draft'",
        )
        .arg(account.id())
        .arg(id)
        .one_or_none(&mut *tx)
        .await?;
        if draft.is_none() {
            return Ok(false);
        }
        sqlx::query::<B>("DELETE FROM campaign_recipients WHERE campaign_id = $1")
            .arg(id)
            .run(&mut *tx)
            .await?;
        sqlx::query::<B>("DELETE FROM campaigns WHERE id = $1")
            .arg(id)
            .run(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn campaign_queued_messages(
        &self,
        account: AccountRef,
        id: Uuid,
    ) -> StoreResult<Vec<Uuid>> {
        let rows: Vec<(Uuid,)> = sqlx::query::<B>(
            "SELECT id FROM messages WHERE account_id = $1 AND campaign_id = $2 \
             AND status = 'queued'",
        )
        .arg(account.id())
        .arg(id)
        .all(&mut *self.read.acquire().await?)
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    async fn set_campaign_start(
        &self,
        account: AccountRef,
        id: Uuid,
        starts_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query::<B>("UPDATE campaigns SET starts_at = $1 WHERE account_id = $2 AND id = $3")
            .arg(millis(starts_at))
            .arg(account.id())
            .arg(id)
            .run(&mut *self.write.acquire().await?)
            .await?;
        Ok(())
    }

    async fn campaign_recipients(
        &self,
        account: AccountRef,
        id: Uuid,
        after: u32,
        limit: u32,
    ) -> StoreResult<Vec<RecipientView>> {
        let rows: Vec<RecipientRow> = sqlx::query::<B>(
            "SELECT r.position, r.row_number, r.phone, r.name, r.text, r.status, r.reason, \
             r.message_id, m.status AS message_status, m.failure_reason, \
             CAST(CASE WHEN m.status IN ('sent', 'delivered', 'read') AND EXISTS \
               (SELECT 1 FROM messages i WHERE i.chat_id = m.chat_id \
                AND i.direction = 'incoming' AND i.id > m.id) THEN 1 ELSE 0 END AS BIGINT) \
             AS replied \
             FROM campaign_recipients r LEFT JOIN messages m ON m.id = r.message_id \
             WHERE r.account_id = $1 AND r.campaign_id = $2 AND r.position > $3 \
             ORDER BY r.position LIMIT $4",
        )
        .arg(account.id())
        .arg(id)
        .arg(i64::from(after))
        .arg(i64::from(limit))
        .all(&mut *self.read.acquire().await?)
        .await?;
        Ok(rows.into_iter().map(RecipientView::from).collect())
    }

    async fn accounts_with_running_campaigns(
        &self,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<AccountRef>> {
        let rows: Vec<(Uuid, String)> = sqlx::query::<B>(
            "SELECT DISTINCT c.account_id, a.kind FROM campaigns c \
             JOIN accounts a ON a.id = c.account_id \
             WHERE c.state = 'running' AND (c.starts_at IS NULL OR c.starts_at <= $1)",
        )
        .arg(millis(now))
        .all(&mut *self.read.acquire().await?)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, kind)| AccountRef::from_kind(id, &kind))
            .collect())
    }

    async fn next_feed(
        &self,
        account: AccountRef,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<FeedItem>> {
        let mut conn = self.read.acquire().await?;
        // The due running campaign fed least recently, among those with
        // someone left to feed.
        let campaign: Option<(Uuid, String, Option<Uuid>, Uuid)> = sqlx::query::<B>(
            "SELECT c.id, c.kind, c.attachment_id, c.created_by FROM campaigns c \
             WHERE c.account_id = $1 AND c.state = 'running' \
             AND (c.starts_at IS NULL OR c.starts_at <= $2) \
             AND EXISTS (SELECT 1 FROM campaign_recipients r \
                         WHERE r.campaign_id = c.id AND r.status = 'ready') \
             ORDER BY (SELECT MAX(r.fed_at) FROM campaign_recipients r \
                       WHERE r.campaign_id = c.id AND r.fed_at IS NOT NULL) IS NOT NULL, \
                      (SELECT MAX(r.fed_at) FROM campaign_recipients r \
                       WHERE r.campaign_id = c.id AND r.fed_at IS NOT NULL), c.created_at \
             LIMIT 1",
        )
        .arg(account.id())
        .arg(millis(now))
        .one_or_none(&mut *conn)
        .await?;
        let Some((campaign_id, kind, attachment_id, created_by)) = campaign else {
            return Ok(None);
        };
        let next: Option<(i64, Option<String>, Option<String>)> = sqlx::query::<B>(
            "SELECT position, phone, text FROM campaign_recipients \
             WHERE campaign_id = $1 AND status = 'ready' ORDER BY position LIMIT 1",
        )
        .arg(campaign_id)
        .one_or_none(&mut *conn)
        .await?;
        Ok(next.map(|(position, phone, text)| FeedItem {
            campaign_id,
            position: position as u32,
            phone: phone.unwrap_or_default(),
            text,
            kind: MessageKind::parse(&kind).unwrap_or(MessageKind::Text),
            attachment_id,
            created_by,
        }))
    }

    async fn mark_fed(
        &self,
        campaign_id: Uuid,
        position: u32,
        message_id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query::<B>(
            "UPDATE campaign_recipients SET status = 'fed', message_id = $1, fed_at = $2 \
             WHERE campaign_id = $3 AND position = $4 AND status = 'ready'",
        )
        .arg(message_id)
        .arg(millis(now))
        .arg(campaign_id)
        .arg(i64::from(position))
        .run(&mut *self.write.acquire().await?)
        .await?;
        Ok(())
    }

    async fn skip_recipient(
        &self,
        campaign_id: Uuid,
        position: u32,
        reason: &str,
    ) -> StoreResult<()> {
        sqlx::query::<B>(
            "UPDATE campaign_recipients SET status = 'skipped', reason = $1 \
             WHERE campaign_id = $2 AND position = $3 AND status = 'ready'",
        )
        .arg(reason)
        .arg(campaign_id)
        .arg(i64::from(position))
        .run(&mut *self.write.acquire().await?)
        .await?;
        Ok(())
    }

    async fn finish_done_campaigns(
        &self,
        account: AccountRef,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Uuid>> {
        let sql = format!(
            "UPDATE campaigns SET state = 'finished', finished_at = $1 \
             WHERE account_id = $2 AND state = 'running' \
             AND NOT EXISTS (SELECT 1 FROM campaign_recipients r \
                             WHERE r.campaign_id = campaigns.id AND r.status = 'ready') \
             AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.campaign_id = campaigns.id \
                             AND m.account_id = $2 AND m.status IN {IN_FLIGHT}) \
             RETURNING id"
        );
        let rows: Vec<(Uuid,)> = sqlx::query::<B>(&sql)
            .arg(millis(now))
            .arg(account.id())
            .all(&mut *self.write.acquire().await?)
            .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    async fn feed_history(
        &self,
        account: AccountRef,
        pacing: &PacingSettings,
        now: DateTime<Utc>,
    ) -> StoreResult<FeedHistory> {
        let mut conn = self.read.acquire().await?;
        let sql = format!(
            "SELECT m.id, CAST(CASE WHEN m.status IN {IN_FLIGHT} THEN 1 ELSE 0 END AS BIGINT), \
             m.updated_at \
             FROM campaign_recipients r JOIN messages m ON m.id = r.message_id \
             WHERE r.account_id = $1 AND r.fed_at IS NOT NULL \
             ORDER BY r.fed_at DESC LIMIT 1"
        );
        let last: Option<(Uuid, i64, i64)> = sqlx::query::<B>(&sql)
            .arg(account.id())
            .one_or_none(&mut *conn)
            .await?;
        let (fed_total,): (i64,) = sqlx::query::<B>(
            "SELECT COUNT(*) FROM campaign_recipients WHERE account_id = $1 AND fed_at IS NOT NULL",
        )
        .arg(account.id())
        .one(&mut *conn)
        .await?;
        let hour = chrono::Duration::hours(1);
        let day = chrono::Duration::days(1);
        let hour_release =
            cap_release::<B>(&mut conn, account, now, hour, pacing.hourly_cap).await?;
        let day_release = cap_release::<B>(&mut conn, account, now, day, pacing.daily_cap).await?;
        Ok(FeedHistory {
            last: last.map(|(id, in_flight, at)| (id, in_flight != 0, at)),
            fed_total,
            hour_release,
            day_release,
        })
    }

    async fn pacing(&self, account: AccountRef) -> StoreResult<PacingSettings> {
        let table = pacing_table(account);
        let sql = format!(
            "SELECT pacing_min_seconds, pacing_max_seconds, burst_size, burst_pause_seconds, \
             hourly_cap, daily_cap FROM {table} WHERE id = $1"
        );
        let row: Option<PacingRow> = sqlx::query::<B>(&sql)
            .arg(account.id())
            .one_or_none(&mut *self.read.acquire().await?)
            .await?;
        Ok(row.map(PacingSettings::from).unwrap_or_default())
    }

    async fn set_pacing(&self, account: AccountRef, pacing: &PacingSettings) -> StoreResult<()> {
        let table = pacing_table(account);
        let sql = format!(
            "UPDATE {table} SET pacing_min_seconds = $1, pacing_max_seconds = $2, \
             burst_size = $3, burst_pause_seconds = $4, hourly_cap = $5, daily_cap = $6 \
             WHERE id = $7"
        );
        sqlx::query::<B>(&sql)
            .arg(pacing.min_gap_seconds)
            .arg(pacing.max_gap_seconds)
            .arg(pacing.burst_size)
            .arg(pacing.burst_pause_seconds)
            .arg(pacing.hourly_cap)
            .arg(pacing.daily_cap)
            .arg(account.id())
            .run(&mut *self.write.acquire().await?)
            .await?;
        Ok(())
    }
}

/// When a cap of `cap` sends per `window` frees a place again, if it is
/// reached: the cap-th most recent send in the window, a window later.
async fn cap_release<B: Backend>(
    conn: &mut B::Connection,
    account: AccountRef,
    now: DateTime<Utc>,
    window: chrono::Duration,
    cap: i64,
) -> StoreResult<Option<i64>> {
    let nth: Option<(i64,)> = sqlx::query::<B>(
        "SELECT fed_at FROM campaign_recipients \
         WHERE account_id = $1 AND fed_at IS NOT NULL AND fed_at > $2 \
         ORDER BY fed_at DESC LIMIT 1 OFFSET $3",
    )
    .arg(account.id())
    .arg(millis(now - window))
    .arg((cap - 1).max(0))
    .one_or_none(conn)
    .await?;
    Ok(nth.map(|(at,)| at + window.num_milliseconds()))
}

/// Where a number's pacing is kept: with the organization, or the user.
fn pacing_table(account: AccountRef) -> &'static str {
    match account {
        AccountRef::Organization(_) => "organizations",
        AccountRef::Personal(_) => "users",
    }
}

async fn ensure_account<B: Backend>(
    tx: &mut sqlx::Transaction<'static, B>,
    account: AccountRef,
) -> StoreResult<()> {
    sqlx::query::<B>("INSERT INTO accounts (id, kind) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .arg(account.id())
        .arg(account.kind())
        .run(&mut **tx)
        .await?;
    Ok(())
}

impl From<RecipientRow> for RecipientView {
    fn from(row: RecipientRow) -> Self {
        let status = match (row.status.as_str(), row.message_status.as_deref()) {
            ("skipped", _) => RecipientStatus::Skipped,
            ("cancelled", _) | (_, Some("cancelled")) => RecipientStatus::Cancelled,
            ("ready", _) | (_, Some("queued")) => RecipientStatus::Queued,
            (_, Some("sending")) => RecipientStatus::Sending,
            (_, Some("sent")) => RecipientStatus::Sent,
            (_, Some("delivered")) => RecipientStatus::Delivered,
            (_, Some("read")) => RecipientStatus::Read,
            _ => RecipientStatus::Failed,
        };
        RecipientView {
            position: row.position as u32,
            row: row.row_number.map(|row| row as u32),
            phone: row.phone,
            name: row.name,
            text: row.text,
            status,
            reason: row.reason.or(row.failure_reason),
            message_id: row.message_id,
            replied: row.replied != 0,
        }
    }
}
