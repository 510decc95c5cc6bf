/**
 * In-memory data behind the demo downstream API: appointments and contacts of a
 * small clinic/salon, kept per user (`sub` of the access token).
 *
 * Why it looks the way it does:
 * - Data is keyed by `sub` only. RFC 9068 §2.2 makes `sub` the resource owner
 *   (or, for client-credentials tokens, the client), and §5 / §6 warn that the
 *   resource server alone decides what a token may reach: here, only its own
 *   user's rows. Nothing is ever looked up by an id coming from the request
 *   without the caller's `sub` alongside it, so one user cannot see another's.
 * - Every structure is bounded (users, items per user, audit entries, one day of
 *   counters): the demo API is also the target of load tests and must not grow
 *   without limit. The least recently used user is evicted first.
 * - A new user is seeded with a few sample rows so the demo shows something
 *   before the visitor has created anything.
 */
import { randomUUID } from 'node:crypto';

/** One booked appointment. Times are ISO 8601 strings in UTC. */
export interface Appointment {
  readonly id: string;
  readonly title: string;
  /** Start time, ISO 8601 (UTC, `toISOString()` form). */
  readonly startsAt: string;
  /** Who the appointment is with (stylist, practitioner…), or `null`. */
  readonly with: string | null;
  readonly createdAt: string;
}

/** One contact in the user's address book. */
export interface Contact {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly phone: string;
}

/** Input of {@link DemoDataStore.createAppointment}, already validated by the route. */
export interface NewAppointment {
  readonly title: string;
  /** Any string `Date` can parse; stored normalised to UTC ISO form. */
  readonly startsAt: string;
  readonly with?: string | undefined;
}

/** A line of the admin audit log (only `admin:audit` tokens can read it). */
export interface AuditEntry {
  readonly at: string;
  readonly action: 'appointment.created' | 'appointment.deleted' | 'user.seeded';
  readonly sub: string;
  readonly appointmentId?: string;
}

/** Statistics for one UTC day, as served to machine clients by `GET /reports/daily`. */
export interface DailyStatistics {
  /** UTC date, `YYYY-MM-DD`. */
  readonly date: string;
  readonly appointmentsBooked: number;
  readonly cancellations: number;
  readonly newContacts: number;
  /** Users currently held in memory (bounded by `maxUsers`). */
  readonly activeUsers: number;
}

/** Limits and clock of a {@link DemoDataStore}. */
export interface DemoDataStoreOptions {
  /** Most users kept; the least recently used is evicted beyond it. Default 1,000. */
  maxUsers?: number;
  /** Most appointments (and contacts) per user; the oldest is dropped beyond it. Default 100. */
  maxItemsPerUser?: number;
  /** Most audit entries kept (ring buffer). Default 200. */
  maxAuditEntries?: number;
  /** Clock, for tests. */
  now?: () => Date;
}

interface UserData {
  appointments: Appointment[];
  contacts: Contact[];
}

interface DayCounters {
  date: string;
  appointmentsBooked: number;
  cancellations: number;
  newContacts: number;
}

const DEFAULT_MAX_USERS = 1_000;
const DEFAULT_MAX_ITEMS = 100;
const DEFAULT_MAX_AUDIT = 200;
const DAY_MS = 24 * 60 * 60 * 1000;

/** UTC `YYYY-MM-DD` of a date. */
function utcDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** A time `days` days from `now`, at hh:mm UTC. */
function at(now: Date, days: number, hours: number, minutes: number): string {
  const day = new Date(now.getTime() + days * DAY_MS);
  day.setUTCHours(hours, minutes, 0, 0);
  return day.toISOString();
}

/**
 * The per-user store of the demo API.
 *
 * All methods are synchronous and never throw on unknown users: a user is
 * created (and seeded) the first time it is seen.
 */
export class DemoDataStore {
  readonly #users = new Map<string, UserData>();
  readonly #audit: AuditEntry[] = [];
  readonly #maxUsers: number;
  readonly #maxItems: number;
  readonly #maxAudit: number;
  readonly #now: () => Date;
  #day: DayCounters;

  constructor(options: DemoDataStoreOptions = {}) {
    this.#maxUsers = Math.max(1, options.maxUsers ?? DEFAULT_MAX_USERS);
    this.#maxItems = Math.max(1, options.maxItemsPerUser ?? DEFAULT_MAX_ITEMS);
    this.#maxAudit = Math.max(1, options.maxAuditEntries ?? DEFAULT_MAX_AUDIT);
    this.#now = options.now ?? (() => new Date());
    this.#day = { date: utcDate(this.#now()), appointmentsBooked: 0, cancellations: 0, newContacts: 0 };
  }

  /** Number of users currently held. */
  get userCount(): number {
    return this.#users.size;
  }

  /** The user's appointments, earliest first (a copy). */
  listAppointments(sub: string): Appointment[] {
    return [...this.#user(sub).appointments].sort((a, b) => a.startsAt.localeCompare(b.startsAt));
  }

  /** Books an appointment; beyond `maxItemsPerUser` the oldest-created one is dropped. */
  createAppointment(sub: string, input: NewAppointment): Appointment {
    const user = this.#user(sub);
    const now = this.#now();
    const appointment: Appointment = {
      id: randomUUID(),
      title: input.title,
      startsAt: new Date(input.startsAt).toISOString(),
      with: input.with ?? null,
      createdAt: now.toISOString(),
    };
    user.appointments.push(appointment);
    if (user.appointments.length > this.#maxItems) user.appointments.shift();
    this.#counters().appointmentsBooked += 1;
    this.#log({ at: now.toISOString(), action: 'appointment.created', sub, appointmentId: appointment.id });
    return appointment;
  }

  /** Cancels one of the user's appointments. `false` when the user has no such appointment. */
  deleteAppointment(sub: string, id: string): boolean {
    const user = this.#user(sub);
    const index = user.appointments.findIndex((a) => a.id === id);
    if (index === -1) return false;
    user.appointments.splice(index, 1);
    this.#counters().cancellations += 1;
    this.#log({ at: this.#now().toISOString(), action: 'appointment.deleted', sub, appointmentId: id });
    return true;
  }

  /** The user's contacts (a copy). */
  listContacts(sub: string): Contact[] {
    return [...this.#user(sub).contacts];
  }

  /** Most recent audit entries, newest first. */
  auditLog(limit = 50): AuditEntry[] {
    return this.#audit.slice(-Math.max(0, limit)).reverse();
  }

  /** Today's statistics (UTC). Counters start again at midnight. */
  dailyStatistics(): DailyStatistics {
    return { ...this.#counters(), activeUsers: this.#users.size };
  }

  /** Returns the user's data, creating and seeding it, and marks it most recently used. */
  #user(sub: string): UserData {
    const existing = this.#users.get(sub);
    if (existing) {
      // Map keeps insertion order: re-inserting moves the user to the "newest" end.
      this.#users.delete(sub);
      this.#users.set(sub, existing);
      return existing;
    }
    const created = this.#seed();
    this.#users.set(sub, created);
    while (this.#users.size > this.#maxUsers) {
      const oldest = this.#users.keys().next();
      if (oldest.done) break;
      this.#users.delete(oldest.value);
    }
    this.#counters().newContacts += created.contacts.length;
    this.#log({ at: this.#now().toISOString(), action: 'user.seeded', sub });
    return created;
  }

  #seed(): UserData {
    const now = this.#now();
    const createdAt = now.toISOString();
    const appointments: Appointment[] = [
      { id: randomUUID(), title: 'Haircut and styling', startsAt: at(now, 1, 9, 30), with: 'Sam Rivera', createdAt },
      {
        id: randomUUID(),
        title: 'Physiotherapy follow-up',
        startsAt: at(now, 3, 14, 0),
        with: 'Dr. Jordan Lee',
        createdAt,
      },
      { id: randomUUID(), title: 'Dental check-up', startsAt: at(now, 8, 11, 15), with: null, createdAt },
    ];
    const contacts: Contact[] = [
      { id: randomUUID(), name: 'Sam Rivera', email: 'sam.rivera@example.com', phone: '+1 555 0100' },
      { id: randomUUID(), name: 'Dr. Jordan Lee', email: 'jordan.lee@example.org', phone: '+1 555 0142' },
      { id: randomUUID(), name: 'Front desk', email: 'frontdesk@example.net', phone: '+1 555 0199' },
    ];
    return {
      appointments: appointments.slice(0, this.#maxItems),
      contacts: contacts.slice(0, this.#maxItems),
    };
  }

  /** Today's counters, reset when the UTC date has changed: only one day is ever kept. */
  #counters(): DayCounters {
    const today = utcDate(this.#now());
    if (this.#day.date !== today) {
      this.#day = { date: today, appointmentsBooked: 0, cancellations: 0, newContacts: 0 };
    }
    return this.#day;
  }

  #log(entry: AuditEntry): void {
    this.#audit.push(entry);
    if (this.#audit.length > this.#maxAudit) this.#audit.splice(0, this.#audit.length - this.#maxAudit);
  }
}
