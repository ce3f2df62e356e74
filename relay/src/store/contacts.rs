//! [`ContactStore`] (contacts one by one and in bulk, with tags and
//! attributes) for every [`Backend`], written once. The chat store's SQL
//! calls [`with_details`] and [`name_contact`] too.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chorus_shared::team::ContactView;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::backend::{Args as _, Backend, Fetch as _, SqlStore};
use super::feed::take_seqs;
use super::rows::millis;
use super::statement::Statement;
use super::team_rows::{ContactRow, CONTACT_COLUMNS};
use super::team_sql::{digits_pattern, like_pattern, IDS_PER_STATEMENT};
use super::{
    AccountRef, Conflict, ContactChange, ContactQuery, ContactRecord, ContactStore, StoreError,
    StoreResult,
};

/// The order contacts are listed in (then by phone).
const CONTACT_ORDER_KEY: &str = "LOWER(COALESCE(ct.name, ct.phone))";

/// Fills in the tags and attributes of `contacts`.
pub(crate) async fn with_details<B: Backend>(
    conn: &mut B::Connection,
    mut contacts: Vec<ContactView>,
) -> StoreResult<Vec<ContactView>> {
    if contacts.is_empty() {
        return Ok(contacts);
    }
    let mut tags: HashMap<Uuid, Vec<String>> = HashMap::new();
    let mut attributes: HashMap<Uuid, BTreeMap<String, String>> = HashMap::new();
    for chunk in contacts.chunks(IDS_PER_STATEMENT) {
        let ids = chunk.iter().map(|contact| contact.id);
        let mut statement =
            Statement::<B>::new("SELECT contact_id, tag FROM contact_tags WHERE contact_id IN (");
        statement.list(ids.clone()).push(") ORDER BY tag");
        let rows: Vec<(Uuid, String)> = statement.query().all(conn).await?;
        for (id, tag) in rows {
            tags.entry(id).or_default().push(tag);
        }
        let mut statement = Statement::<B>::new(
            "SELECT contact_id, key, value FROM contact_attributes WHERE contact_id IN (",
        );
        statement.list(ids).push(")");
        let rows: Vec<(Uuid, String, String)> = statement.query().all(conn).await?;
        for (id, key, value) in rows {
            attributes.entry(id).or_default().insert(key, value);
        }
    }
    for contact in &mut contacts {
        contact.tags = tags.remove(&contact.id).unwrap_or_default();
        contact.attributes = attributes.remove(&contact.id).unwrap_or_default();
    }
    Ok(contacts)
}

async fn contact_by_id<B: Backend>(
    conn: &mut B::Connection,
    account: AccountRef,
    id: Uuid,
) -> StoreResult<Option<ContactView>> {
    let sql = format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts \
         WHERE deleted_at IS NULL AND account_id = $1 AND id = $2"
    );
    let row: Option<ContactRow> = sqlx::query::<B>(&sql)
        .arg(account.id())
        .arg(id)
        .one_or_none(conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(with_details::<B>(conn, vec![row.into()]).await?.pop())
}

async fn replace_tags<B: Backend>(
    conn: &mut B::Connection,
    id: Uuid,
    tags: &[String],
) -> StoreResult<()> {
    sqlx::query::<B>("DELETE FROM contact_tags WHERE contact_id = $1")
        .arg(id)
        .run(conn)
        .await?;
    if !tags.is_empty() {
        let mut statement =
            Statement::<B>::new("INSERT INTO contact_tags (contact_id, tag) VALUES ");
        statement.rows(tags, |tag| vec![id.into(), tag.as_str().into()]);
        statement.query().run(conn).await?;
    }
    Ok(())
}

async fn replace_attributes<B: Backend>(
    conn: &mut B::Connection,
    id: Uuid,
    attributes: &BTreeMap<String, String>,
) -> StoreResult<()> {
    sqlx::query::<B>("DELETE FROM contact_attributes WHERE contact_id = $1")
        .arg(id)
        .run(conn)
        .await?;
    if !attributes.is_empty() {
        let mut statement =
            Statement::<B>::new("INSERT INTO contact_attributes (contact_id, key, value) VALUES ");
        statement.rows(attributes, |(key, value)| {
            vec![id.into(), key.as_str().into(), value.as_str().into()]
        });
        statement.query().run(conn).await?;
    }
    Ok(())
}

/// Names a person's contact, creating it (or bringing it back).
pub(crate) async fn name_contact<B: Backend>(
    conn: &mut B::Connection,
    account: AccountRef,
    phone: &str,
    name: Option<String>,
    seq: i64,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query::<B>(
        "INSERT INTO contacts (id, account_id, phone, name, source, created_at, seq) \
         VALUES ($1, $2, $3, $4, 'manual', $5, $6) \
         ON CONFLICT (account_id, phone) DO UPDATE SET name = excluded.name, \
         deleted_at = NULL, seq = excluded.seq",
    )
    .arg(Uuid::now_v7())
    .arg(account.id())
    .arg(phone)
    .arg(name.as_deref())
    .arg(millis(now))
    .arg(seq)
    .run(conn)
    .await?;
    Ok(())
}

/// ` WHERE …` for the contacts `filter` admits (`ct` is the contacts table).
fn push_contact_filters<B: Backend>(
    statement: &mut Statement<B>,
    account: AccountRef,
    filter: &ContactQuery,
) {
    statement
        .push(" WHERE ct.deleted_at IS NULL AND ct.account_id = ")
        .arg(account.id());
    if let Some(tag) = &filter.tag {
        statement
            .push(
                " AND EXISTS (SELECT 1 FROM contact_tags t WHERE t.contact_id = ct.id AND t.tag = ",
            )
            .arg(tag.as_str())
            .push(")");
    }
    if let Some((key, value)) = &filter.attribute {
        statement
            .push(
                " AND EXISTS (SELECT 1 FROM contact_attributes x \
                 WHERE x.contact_id = ct.id AND x.key = ",
            )
            .arg(key.as_str())
            .push(" AND x.value = ")
            .arg(value.as_str())
            .push(")");
    }
    if let Some(search) = &filter.search {
        statement
            .push(" AND (LOWER(COALESCE(ct.name, '')) LIKE ")
            .arg(like_pattern(search))
            .push(" ESCAPE '\\'");
        if let Some(digits) = digits_pattern(search) {
            statement.push(" OR ct.phone LIKE ").arg(digits);
        }
        statement.push(")");
    }
}

/// ` FROM contacts WHERE … AND id IN (…)`: the live contacts of `ids`.
fn push_contact_ids<B: Backend>(statement: &mut Statement<B>, account: AccountRef, ids: &[Uuid]) {
    statement
        .push(" FROM contacts WHERE deleted_at IS NULL AND account_id = ")
        .arg(account.id())
        .push(" AND id IN (")
        .list(ids.iter().copied())
        .push(")");
}

#[async_trait]
impl<B: Backend> ContactStore for SqlStore<B> {
    async fn add_contact(
        &self,
        account: AccountRef,
        id: Uuid,
        record: ContactRecord,
        now: DateTime<Utc>,
    ) -> StoreResult<ContactView> {
        let mut tx = self.write.begin().await?;
        let seq = take_seqs::<B>(&mut tx, account, 1).await?;
        let existing: Option<(Uuid, Option<i64>)> = sqlx::query::<B>(
            "SELECT id, deleted_at FROM contacts WHERE account_id = $1 AND phone = $2",
        )
        .arg(account.id())
        .arg(record.phone.as_str())
        .one_or_none(&mut *tx)
        .await?;
        let id = match existing {
            Some((_, None)) => return Err(StoreError::Conflict(Conflict::ContactExists)),
            Some((old, Some(_))) => {
                sqlx::query::<B>(
                    "UPDATE contacts SET name = $1, source = $2, deleted_at = NULL, \
                     created_at = $3, seq = $4 WHERE id = $5",
                )
                .arg(record.name.as_deref())
                .arg(record.source.as_str())
                .arg(millis(now))
                .arg(seq)
                .arg(old)
                .run(&mut *tx)
                .await?;
                old
            }
            None => {
                sqlx::query::<B>(
                    "INSERT INTO contacts (id, account_id, phone, name, source, created_at, seq) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .arg(id)
                .arg(account.id())
                .arg(record.phone.as_str())
                .arg(record.name.as_deref())
                .arg(record.source.as_str())
                .arg(millis(now))
                .arg(seq)
                .run(&mut *tx)
                .await?;
                id
            }
        };
        replace_tags::<B>(&mut tx, id, &record.tags).await?;
        replace_attributes::<B>(&mut tx, id, &record.attributes).await?;
        let contact = contact_by_id::<B>(&mut tx, account, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(contact)
    }

    async fn update_contact(
        &self,
        account: AccountRef,
        id: Uuid,
        change: ContactChange,
        _now: DateTime<Utc>,
    ) -> StoreResult<ContactView> {
        let mut tx = self.write.begin().await?;
        let seq = take_seqs::<B>(&mut tx, account, 2).await?;
        let contact = contact_by_id::<B>(&mut tx, account, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut statement = Statement::<B>::new("UPDATE contacts SET seq = ");
        statement.arg(seq);
        if let Some(name) = &change.name {
            statement.push(", name = ").arg(name.clone());
        }
        statement.push(" WHERE id = ").arg(id);
        statement.query().run(&mut tx).await?;
        if change.name.is_some() {
            // The chat list shows the contact's name.
            sqlx::query::<B>("UPDATE chats SET seq = $1 WHERE account_id = $2 AND phone = $3")
                .arg(seq + 1)
                .arg(account.id())
                .arg(contact.phone.as_str())
                .run(&mut tx)
                .await?;
        }
        if let Some(tags) = &change.tags {
            replace_tags::<B>(&mut tx, id, tags).await?;
        }
        if let Some(attributes) = &change.attributes {
            replace_attributes::<B>(&mut tx, id, attributes).await?;
        }
        let contact = contact_by_id::<B>(&mut tx, account, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(contact)
    }

    async fn contact(&self, account: AccountRef, id: Uuid) -> StoreResult<Option<ContactView>> {
        contact_by_id::<B>(&mut *self.read.acquire().await?, account, id).await
    }

    async fn contacts(
        &self,
        account: AccountRef,
        filter: ContactQuery,
    ) -> StoreResult<(Vec<ContactView>, i64)> {
        let mut conn = self.read.acquire().await?;
        let mut statement = Statement::<B>::new("SELECT COUNT(*) FROM contacts ct");
        push_contact_filters(&mut statement, account, &filter);
        let (total,): (i64,) = statement.query().one(&mut conn).await?;
        let columns: Vec<String> = CONTACT_COLUMNS
            .split(", ")
            .map(|column| format!("ct.{column}"))
            .collect();
        let mut statement =
            Statement::<B>::new(format!("SELECT {} FROM contacts ct", columns.join(", ")));
        push_contact_filters(&mut statement, account, &filter);
        if let Some((key, phone)) = &filter.after {
            statement
                .push(&format!(" AND ({CONTACT_ORDER_KEY} > "))
                .arg(key.as_str())
                .push(&format!(" OR ({CONTACT_ORDER_KEY} = "))
                .arg(key.as_str())
                .push(" AND ct.phone > ")
                .arg(phone.as_str())
                .push("))");
        }
        statement
            .push(&format!(" ORDER BY {CONTACT_ORDER_KEY}, ct.phone LIMIT "))
            .arg(filter.limit);
        let rows: Vec<ContactRow> = statement.query().all(&mut conn).await?;
        let contacts = rows.into_iter().map(ContactView::from).collect();
        Ok((with_details::<B>(&mut conn, contacts).await?, total))
    }

    async fn import_contacts(
        &self,
        account: AccountRef,
        contacts: &[(String, Option<String>)],
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let mut tx = self.write.begin().await?;
        let seq = take_seqs::<B>(&mut tx, account, 1).await?;
        let mut added = 0;
        for chunk in contacts.chunks(IDS_PER_STATEMENT / 10) {
            let mut statement = Statement::<B>::new(
                "INSERT INTO contacts (id, account_id, phone, name, source, created_at, seq) VALUES ",
            );
            statement.rows(chunk, |(phone, name)| {
                vec![
                    Uuid::now_v7().into(),
                    account.id().into(),
                    phone.as_str().into(),
                    name.clone().into(),
                    "import".into(),
                    millis(now).into(),
                    seq.into(),
                ]
            });
            statement.push(" ON CONFLICT (account_id, phone) DO NOTHING");
            added += statement.query().run(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    async fn delete_contacts(
        &self,
        account: AccountRef,
        ids: &[Uuid],
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let mut tx = self.write.begin().await?;
        let seq = take_seqs::<B>(&mut tx, account, 1).await?;
        let mut deleted = 0;
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let mut statement = Statement::<B>::new("UPDATE contacts SET deleted_at = ");
            statement
                .arg(millis(now))
                .push(", seq = ")
                .arg(seq)
                .push(" WHERE deleted_at IS NULL AND account_id = ")
                .arg(account.id())
                .push(" AND id IN (")
                .list(chunk.iter().copied())
                .push(")");
            deleted += statement.query().run(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(deleted)
    }

    async fn tag_contacts(
        &self,
        account: AccountRef,
        ids: &[Uuid],
        add: &[String],
        remove: &[String],
        _now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let mut tx = self.write.begin().await?;
        let seq = take_seqs::<B>(&mut tx, account, 1).await?;
        let mut changed = 0;
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            for tag in add {
                let mut statement =
                    Statement::<B>::new("INSERT INTO contact_tags (contact_id, tag) SELECT id, ");
                statement.arg(tag.as_str());
                push_contact_ids(&mut statement, account, chunk);
                statement.push(" ON CONFLICT DO NOTHING");
                statement.query().run(&mut tx).await?;
            }
            if !remove.is_empty() {
                let mut statement = Statement::<B>::new("DELETE FROM contact_tags WHERE tag IN (");
                statement
                    .list(remove.iter().map(String::as_str))
                    .push(") AND contact_id IN (SELECT id");
                push_contact_ids(&mut statement, account, chunk);
                statement.push(")");
                statement.query().run(&mut tx).await?;
            }
            let mut statement = Statement::<B>::new("UPDATE contacts SET seq = ");
            statement.arg(seq).push(" WHERE id IN (SELECT id");
            push_contact_ids(&mut statement, account, chunk);
            statement.push(")");
            changed += statement.query().run(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }
}
