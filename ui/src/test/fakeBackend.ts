// A stand-in for the Rust backend (src-tauri/src/field.rs), installed with mockIPC: the same
// commands, phases and error kinds. Unit tests use it, and `VITE_FAKE_BACKEND=1` builds (the
// accessibility check) run the UI on it. Two small protocols, an in-memory "vault" of drafts
// and records, the lock refusal, the hand-over refusal and `saved_events`.
import { mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import type {
  Answer,
  AppStatus,
  CommandError,
  DraftView,
  ExportArgs,
  Flag,
  Indicator,
  ItemView,
  Outcome,
  OutcomeView,
  Phase,
  ProtocolSummary,
  RecordView,
  ReferralChoice,
  ResourceCard,
  SessionView,
  Status,
  RecipientView,
  SyncView,
} from '../lib/types';

export const PROTOCOLS: ProtocolSummary[] = [
  {
    id: 'test-adult',
    version: '1.2.0',
    title: 'Adult screening (test)',
    summary: 'A short test protocol for adults.',
    population: 'adult',
    languages: ['en', 'es'],
    asked_items: 4,
  },
  {
    id: 'test-minor',
    version: '0.9.0',
    title: 'Minor screening (test)',
    summary: 'A short test protocol for young people.',
    population: 'minor',
    languages: ['en', 'es'],
    asked_items: 2,
  },
];

export const POLICIES = [
  { id: 'default', lock_timeout_minutes: 5, min_secret_length: 10, retention_days: 365 },
  { id: 'strict', lock_timeout_minutes: 2, min_secret_length: 14, retention_days: 90 },
];

export const NON_ARREST = 'Do not arrest for offences the person was compelled to commit.';
export const INTERPRETER_WARNING =
  'Never use a companion, relative, employer or another person from the scene as an interpreter.';

type Kind = ItemView['kind'];
interface FakeItem {
  id: string;
  label: string;
  kind: Kind;
  type: string;
  section: ItemView['section'];
  text: Record<string, string>;
  guidance: ItemView['guidance'];
  options: string[];
  choices?: { id: string; text: Record<string, string> }[];
  indicates?: Record<string, keyof Outcome['indicators']>;
}

const YES_NO = ['yes', 'no', 'not-sure', 'declined'];
const OBS = ['seen', 'not-seen', 'not-sure'];
const SAFETY = { id: 'safety', title: 'Safety', safety: true };
const PERMISSION = { id: 'permission', title: 'Permission', safety: false };
const OBSERVATIONS = { id: 'observations', title: 'What you see', safety: false };
const WORK = { id: 'work', title: 'Work and living', safety: false };
const CLOSING = { id: 'closing', title: 'Closing', safety: false };

const q = (
  id: string,
  label: string,
  section: FakeItem['section'],
  en: string,
  es: string,
  guidance: FakeItem['guidance'],
  indicates?: FakeItem['indicates'],
): FakeItem => ({ id, label, kind: 'question', type: 'yes-no', section, text: { en, es }, guidance, options: YES_NO, indicates });

const ADULT: FakeItem[] = [
  q(
    'q-safe-now',
    'Safe to talk now',
    SAFETY,
    'Are you safe to talk with me right now?',
    '¿Puede hablar conmigo con seguridad ahora?',
    {
      why: 'The person may be watched or at risk.',
      how: 'Ask quietly, away from others.',
      avoid: 'Do not ask in front of a companion.',
    },
  ),
  {
    ...q(
      's-consent',
      'Permission to ask questions',
      PERMISSION,
      'Is it all right if I ask you a few short questions? You can skip any of them or stop.',
      '¿Está bien si le hago unas preguntas cortas? Puede saltar cualquiera o parar.',
      { why: 'Questions are asked only with agreement.', how: 'Wait for a clear answer.', avoid: 'Do not press.' },
    ),
    kind: 'script',
  },
  {
    id: 'o-locks',
    label: 'Locks on the outside of doors',
    kind: 'observation',
    type: 'observation',
    section: OBSERVATIONS,
    text: { en: 'Locks on the outside of doors' },
    guidance: { why: 'Restriction of movement.', how: 'Look, do not ask.', avoid: '' },
    options: OBS,
    indicates: { seen: 'coercion' },
  },
  q(
    'q-threats',
    'Threats of harm',
    WORK,
    'Has anyone hurt you or threatened to hurt you?',
    '¿Alguien le ha hecho daño o amenazado?',
    { why: 'Force is a core indicator.', how: 'Ask slowly and calmly.', avoid: 'Do not use labels for the person.' },
    { yes: 'force' },
  ),
  q(
    'q-papers',
    'Papers kept by someone else',
    WORK,
    'Does someone else keep your ID or papers?',
    '¿Alguien más guarda su identificación o sus papeles?',
    { why: 'Holding documents is a common form of control.', how: 'Ask plainly.', avoid: 'Do not ask about status.' },
    { yes: 'coercion' },
  ),
  {
    id: 'q-pay',
    label: 'Paid for the work',
    kind: 'question',
    type: 'choice',
    section: WORK,
    text: { en: 'Are you paid for your work?', es: '¿Le pagan por su trabajo?' },
    guidance: { why: 'Unpaid work can point to labor trafficking.', how: 'Ask without judgment.', avoid: '' },
    options: ['not-sure', 'declined'],
    choices: [
      { id: 'paid', text: { en: 'Yes, I am paid', es: 'Sí, me pagan' } },
      { id: 'not-paid', text: { en: 'No, I am not paid', es: 'No, no me pagan' } },
    ],
    indicates: { 'not-paid': 'purpose' },
  },
  {
    id: 's-closing',
    label: 'Closing',
    kind: 'script',
    type: 'read',
    section: CLOSING,
    text: { en: 'Thank you for talking with me.', es: 'Gracias por hablar conmigo.' },
    guidance: { why: '', how: 'Read this aloud.', avoid: '' },
    options: ['read'],
  },
];

const MINOR: FakeItem[] = [
  ADULT[0],
  {
    id: 'o-older-partner',
    label: 'With a much older partner or a group of adults',
    kind: 'observation',
    type: 'observation',
    section: OBSERVATIONS,
    text: { en: 'With a much older partner or a group of adults' },
    guidance: { why: 'A common sign of exploitation of young people.', how: 'Look, do not ask.', avoid: '' },
    options: OBS,
    indicates: { seen: 'coercion' },
  },
  q(
    'q-traded-sex',
    'Traded sex for something of value',
    WORK,
    'Has anyone asked you to do sexual things in exchange for money, food or a place to stay?',
    '¿Alguien le ha pedido hacer cosas sexuales a cambio de dinero, comida o un lugar donde quedarse?',
    { why: 'A minor in commercial sex is trafficking by law.', how: 'Ask gently, once.', avoid: 'Do not ask for details.' },
    { yes: 'purpose' },
  ),
  q(
    'q-safe-place',
    'Has a safe place tonight',
    WORK,
    'Do you have a safe place to stay tonight?',
    '¿Tiene un lugar seguro donde quedarse esta noche?',
    { why: 'A safe place comes first.', how: 'Ask plainly.', avoid: '' },
  ),
];

const ITEMS: Record<string, FakeItem[]> = { 'test-adult': ADULT, 'test-minor': MINOR };

const REFERRALS = [
  { resource_id: 'nhth', name: 'National Human Trafficking Hotline', contact: '1-888-373-7888' },
  { resource_id: 'emergency-911', name: 'Emergency services (911)', contact: '911' },
];

export const GLOSSARY = [
  { avoid: 'prostitute', prefer: 'person who traded sex', why: 'A label on the person; describe what happened instead.' },
  { avoid: 'illegal alien', prefer: 'person without immigration status', why: 'Dehumanizing and inaccurate.' },
];

export const SECRET = 'correct horse battery';

interface Open {
  draft: string;
  handover: boolean;
}

interface Draft {
  id: string;
  protocol: string;
  language: string;
  index: number;
  status: Status;
  answers: Map<string, Answer>;
  events: number;
  referrals: Map<string, ReferralChoice>;
  notes: string;
}

export const CUSTODIAN: RecipientView = {
  name: 'Trafficking unit custodian',
  age: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
};
/** A sealed record as the vault lists it. */
export function makeRecord(id: string, overrides: Partial<RecordView> = {}): RecordView {
  return { id, protocol_id: 'test-adult', created_at: '2026-03-01T02:30:00Z', level: 'indicators', amends: null, synced: false, queued: true, ...overrides };
}
export const SUGGESTED_PATH = '/home/officer/Documents/fieldscreen-case-2026-03-01-0230.age';
export const CHOSEN_PATH = '/media/officer/DRIVE/case-17.age';

export interface FakeOptions {
  /** Where the device starts: `setup` (first run), `locked` or `unlocked`. */
  phase?: Phase;
  /** The unit custodians in the policy (one by default; none to see the "no recipients" case). */
  recipients?: RecipientView[];
  /** The hub as the device sees it (not enrolled by default). */
  sync?: Partial<Omit<SyncView, 'pending'>>;
  /** Sealed records already on the device. */
  records?: RecordView[];
}

export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

const err = (kind: string, message: string): CommandError => ({ kind, message });

/** A small square pattern standing in for a QR code (the real one comes from Rust). */
export function fakeQr(text: string) {
  const size = 21;
  const modules: boolean[] = [];
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const finder = (cx: number, cy: number) => {
        const dx = x - cx;
        const dy = y - cy;
        if (dx < 0 || dy < 0 || dx > 6 || dy > 6) return null;
        const ring = Math.max(Math.abs(dx - 3), Math.abs(dy - 3));
        return ring !== 2;
      };
      const f = finder(0, 0) ?? finder(size - 7, 0) ?? finder(0, size - 7);
      modules.push(f ?? (x * 7 + y * 3 + text.length) % 5 < 2);
    }
  return { size, modules, text };
}

/** Install the fake backend with mockIPC; returns the recorded calls and a few levers. */
export function installFakeBackend(options: FakeOptions = {}) {
  const calls: Call[] = [];
  const failNext = new Map<string, CommandError>();

  let phase: Phase = options.phase ?? 'unlocked';
  let officer: string | null = phase === 'setup' ? null : 'officer-17';
  let policyId: string | null = phase === 'setup' ? null : 'default';
  let secret = SECRET;
  let enabled = PROTOCOLS.map((p) => p.id);
  let open: Open | null = null;
  let seq = 0;
  const drafts = new Map<string, Draft>();
  const records: RecordView[] = (options.records ?? []).map((r) => ({ ...r }));
  let recipients: RecipientView[] = options.recipients ?? [CUSTODIAN];
  let hub: Omit<SyncView, 'pending'> = {
    enrolled: false,
    hub_url: null,
    online: false,
    last_sync: null,
    errors: [],
    last_error: null,
    waiting_for_unit: false,
    ...options.sync,
  };
  const files = new Map<string, { sha256: string; records: string[] }>();
  let exportGate: Promise<void> | null = null;
  let releaseGate: (() => void) | null = null;
  let savePath: string | null = CHOSEN_PATH;

  function syncView(): SyncView {
    unlocked();
    return { ...hub, errors: [...hub.errors], pending: records.filter((r) => r.queued).length };
  }

  /** A fixed-looking SHA-256 for the fake bundle (64 hex digits). */
  function fakeSha(text: string): string {
    let h = 2166136261;
    let out = '';
    for (let round = 0; out.length < 64; round++) {
      for (const c of `${text}:${round}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
      out += h.toString(16).padStart(8, '0');
    }
    return out.slice(0, 64);
  }

  const policy = () => POLICIES.find((p) => p.id === (policyId ?? 'default')) ?? POLICIES[0];

  function status(): AppStatus {
    return {
      phase,
      officer_id: officer,
      policy_id: policyId,
      lock_timeout_seconds: policy().lock_timeout_minutes * 60,
      focus_grace_seconds: 30,
      min_secret_length: policy().min_secret_length,
      screening_open: phase === 'unlocked' && open !== null,
      handover: phase === 'unlocked' && !!open?.handover,
    };
  }

  function unlocked() {
    if (phase !== 'unlocked') throw err('locked', 'the app is locked; unlock it with your secret');
  }
  function officerOnly() {
    unlocked();
    if (open?.handover) throw err('handover', "the person has the device; the officer's secret is needed to go back");
  }
  function current(): Draft {
    unlocked();
    if (!open) throw err('no-session', 'no screening is open; start or resume one first');
    return drafts.get(open.draft)!;
  }

  const items = (d: Draft) => ITEMS[d.protocol];

  function itemView(d: Draft, it: FakeItem): ItemView {
    const words = (m: Record<string, string>) => m[d.language] ?? m.en;
    return {
      id: it.id,
      kind: it.kind,
      label: it.label,
      section: it.section,
      text: it.kind === 'observation' ? it.label : words(it.text),
      guidance: it.guidance,
      answer: {
        type: it.type,
        choices: (it.choices ?? []).map((c) => ({ id: c.id, text: words(c.text) })),
        min: null,
        max: null,
      },
      options: it.options,
      current: d.answers.get(it.id) ?? null,
    };
  }

  function view(): SessionView {
    const d = current();
    const p = PROTOCOLS.find((x) => x.id === d.protocol)!;
    const list = items(d);
    return {
      draft_id: d.id,
      protocol: { id: p.id, version: p.version, title: p.title },
      language: d.language,
      current: d.status === 'in-progress' ? itemView(d, list[d.index]) : null,
      position: { index: d.index + 1, total: list.length },
      can_go_back: d.index > 0 && d.status !== 'stopped',
      status: d.status,
      stop_rule: d.status === 'concluded' ? stopRule(d) : null,
      saved_events: d.events as unknown as SessionView['saved_events'],
      handover: !!open?.handover,
    };
  }

  function stopRule(d: Draft) {
    if (d.protocol === 'test-minor')
      return { id: 'child-disclosed', reason: 'The young person disclosed. Stop asking and refer to child protection.' };
    return { id: 'no-questions-wanted', reason: 'The person does not want to answer questions. Respect that.' };
  }

  function outcome(d: Draft): Outcome {
    const p = PROTOCOLS.find((x) => x.id === d.protocol)!;
    const ind: Outcome['indicators'] = { force: [], fraud: [], coercion: [], purpose: [], minor: [], safety: [] };
    for (const it of items(d)) {
      const a = d.answers.get(it.id);
      if (!a) continue;
      const key = a.kind === 'choice' ? a.value : a.kind;
      const group = it.indicates?.[key];
      if (group) {
        const i: Indicator = { item: it.id, label: it.label, answer: key, detail: group === 'purpose' ? (d.protocol === 'test-minor' ? 'sex' : 'labor') : null };
        ind[group].push(i);
      }
    }
    if (d.answers.get('q-safe-now')?.kind === 'no')
      ind.safety.push({ item: 'q-safe-now', label: 'Safe to talk now', answer: 'no', detail: null });
    const minorRule = d.protocol === 'test-minor' && ind.purpose.length > 0;
    if (minorRule) ind.minor.push({ item: 'q-traded-sex', label: 'Under 18', answer: 'yes', detail: null });
    const refs = (kind: string) =>
      items(d)
        .filter((it) => d.answers.get(it.id)?.kind === kind)
        .map((it) => ({ item: it.id, label: it.label }));
    const groups = (Object.keys(ind) as (keyof Outcome['indicators'])[]).filter((g) => ind[g].length > 0);
    const any = groups.length > 0;
    const stopped = d.status === 'stopped';
    const partial = d.status !== 'complete';
    const actions: Outcome['actions'] = [];
    if (ind.safety.length) actions.push({ id: 'a-emergency', kind: 'emergency', text: 'Call for help now if the person is in danger.' });
    actions.push({ id: 'a-medical', kind: 'medical', text: 'Offer medical care if the person needs it.' });
    if (minorRule) actions.push({ id: 'a-child', kind: 'child-protection', text: 'Refer to child protection for a forensic interview.' });
    actions.push({ id: 'a-hotline', kind: 'hotline', text: 'Offer the hotline card.' });
    return {
      protocol: { id: p.id, version: p.version, content_hash: 'abc123' },
      status: d.status,
      level: minorRule
        ? { id: 'minor-rule', rank: 3, title: 'Child sex trafficking by law', meaning: 'Refer to child protection.' }
        : any
          ? { id: 'indicators', rank: 2, title: 'Indicators present', meaning: 'Offer services and contact the unit.' }
          : { id: 'none-seen', rank: 0, title: 'No indicators seen', meaning: 'In the items covered.' },
      groups: groups.map((g) => (g === 'purpose' ? (d.protocol === 'test-minor' ? 'purpose-sex' : 'purpose-labor') : g)),
      indicators: ind,
      declined: refs('declined'),
      not_sure: refs('not-sure'),
      stopped,
      partial,
      stop_rule: d.status === 'concluded' ? stopRule(d) : null,
      minor_rule: minorRule,
      unanswered: partial ? items(d).filter((it) => !d.answers.has(it.id)).map((it) => it.id) : [],
      actions,
      non_arrest_guidance: any ? NON_ARREST : null,
    };
  }

  function check(text: string): Flag[] {
    const flags: Flag[] = [];
    const lower = text.toLowerCase();
    for (const g of GLOSSARY) {
      let from = 0;
      for (;;) {
        const at = lower.indexOf(g.avoid, from);
        if (at < 0) break;
        flags.push({ start: at, end: at + g.avoid.length, line: 1, col: at + 1, found: text.slice(at, at + g.avoid.length), avoid: g.avoid, prefer: g.prefer, why: g.why });
        from = at + g.avoid.length;
      }
    }
    return flags.sort((a, b) => a.start - b.start);
  }

  function outcomeView(): OutcomeView {
    officerOnly();
    const d = current();
    return {
      outcome: outcome(d),
      referrals: REFERRALS.map((r) => ({ ...r, choice: d.referrals.get(r.resource_id) ?? 'not-offered' })),
      notes: d.notes,
      note_flags: check(d.notes),
    };
  }

  /** Applies an event to the open draft: it counts as saved once applied. */
  function record(apply: (d: Draft) => void): SessionView {
    const d = current();
    apply(d);
    d.events++;
    return view();
  }

  function doLock() {
    phase = 'locked';
    open = null;
  }

  const handlers: Record<string, (args: Record<string, unknown>) => unknown> = {
    status: () => status(),
    setup_options: () => {
      if (phase !== 'setup' && phase !== 'wiped') throw err('already-set-up', 'this device is already set up');
      return { protocols: PROTOCOLS, policies: POLICIES };
    },
    setup: (args) => {
      if (phase !== 'setup' && phase !== 'wiped') throw err('already-set-up', 'this device is already set up');
      const a = args.args as { officer_id: string; secret: string; recovery_recipient: string | null; policy_id: string; protocols: string[] };
      const pol = POLICIES.find((p) => p.id === a.policy_id);
      if (!a.officer_id.trim()) throw err('invalid', 'the officer id must be 1 to 64 printable characters');
      if (!pol) throw err('unknown-policy', `no policy \`${a.policy_id}\``);
      if (a.protocols.length === 0) throw err('invalid', 'choose at least one protocol for this device');
      if (a.secret.length < pol.min_secret_length)
        throw err('policy', `the secret must be at least ${pol.min_secret_length} characters`);
      if (a.secret.toLowerCase().includes('password')) throw err('policy', 'that secret is too common; choose another');
      if (a.recovery_recipient && !a.recovery_recipient.startsWith('age1'))
        throw err('invalid', 'the recovery recipient must be an age recipient (age1...)');
      officer = a.officer_id.trim();
      policyId = pol.id;
      secret = a.secret;
      enabled = a.protocols;
      phase = 'unlocked';
      return status();
    },
    unlock: (args) => {
      if (phase === 'unlocked') return status();
      if (phase === 'setup') throw err('not-initialized', 'this device is not set up');
      if (phase === 'wiped') throw err('wiped', 'the vault was wiped');
      if (args.secret !== secret) throw err('wrong-secret', 'the secret is not right');
      phase = 'unlocked';
      return status();
    },
    lock: () => {
      doLock();
      void emit('locked');
      return status();
    },
    touch: () => null,
    home: () => {
      officerOnly();
      const ds: DraftView[] = [...drafts.values()].map((d) => ({
        id: d.id,
        protocol_id: d.protocol,
        protocol_title: PROTOCOLS.find((p) => p.id === d.protocol)!.title,
        language: d.language,
        started_at: '2026-03-01T02:10:00Z',
        saved_events: d.events as unknown as DraftView['saved_events'],
      }));
      return {
        officer_id: officer,
        device_id: 'device-1',
        drafts: ds,
        records: [...records],
        pending: records.filter((r) => r.queued).length,
        resources: [
          { name: 'National Human Trafficking Hotline', phone: '1-888-373-7888', text: '233733', url: null, hours: '24/7', description: 'Free, confidential help any time.' },
          { name: 'Emergency services (911)', phone: '911', text: null, url: null, hours: '24/7', description: 'Call 911 in danger.' },
        ],
      };
    },
    new_screening_options: () => {
      officerOnly();
      return {
        protocols: PROTOCOLS.filter((p) => enabled.includes(p.id)),
        languages: [
          { code: 'en', name: 'English' },
          { code: 'es', name: 'Español' },
        ],
        encounter_types: [
          { id: 'traffic-stop', label: 'Traffic stop' },
          { id: 'welfare-check', label: 'Welfare check' },
        ],
        settings: [
          { id: 'unknown', label: 'Not known' },
          { id: 'agriculture', label: 'Agriculture or animal husbandry' },
          { id: 'domestic-work', label: 'Domestic work' },
          { id: 'restaurants', label: 'Restaurant or food service' },
        ],
        interpreters: [
          { id: 'not-needed', label: 'Not needed: we share a language' },
          { id: 'screen', label: 'The person reads the questions on screen in their language' },
          { id: 'phone', label: 'Professional interpreter by phone' },
        ],
        interpreter_warning: INTERPRETER_WARNING,
      };
    },
    start_screening: (args) => {
      officerOnly();
      const a = args.args as { protocol_id: string; language: string; encounter: { type: string; setting: string; interpreter: string } };
      const p = PROTOCOLS.find((x) => x.id === a.protocol_id && enabled.includes(x.id));
      if (!p) throw err('unknown-protocol', `no protocol \`${a.protocol_id}\``);
      if (!p.languages.includes(a.language)) throw err('unknown-language', `no \`${a.language}\``);
      if (!a.encounter.type || !a.encounter.setting || !a.encounter.interpreter)
        throw err('invalid-encounter', 'choose the encounter type, setting and interpreter');
      const id = `d-${++seq}`;
      drafts.set(id, { id, protocol: p.id, language: a.language, index: 0, status: 'in-progress', answers: new Map(), events: 0, referrals: new Map(), notes: '' });
      open = { draft: id, handover: false };
      return view();
    },
    resume_draft: (args) => {
      officerOnly();
      const d = drafts.get(String(args.draftId));
      if (!d) throw err('not-found', 'no such draft');
      open = { draft: d.id, handover: false };
      return view();
    },
    current_view: () => view(),
    answer: (args) => {
      const d = current();
      const id = String(args.itemId);
      const list = items(d);
      if (d.status === 'stopped') throw err('stopped', 'the screening was stopped');
      if (d.status !== 'in-progress') throw err('concluded', 'the screening is over');
      if (list[d.index].id !== id) throw open!.handover ? err('handover', 'only the current question') : err('not-shown', `item \`${id}\` is not shown`);
      return record((d) => {
        const a = args.answer as Answer;
        d.answers.set(id, a);
        if (id === 's-consent' && a.kind === 'no') d.status = 'concluded';
        else if (id === 'q-traded-sex' && a.kind === 'yes') d.status = 'concluded';
        else if (d.index + 1 < list.length) d.index++;
        else d.status = 'complete';
      });
    },
    go_back: () => {
      officerOnly();
      const d = current();
      if (d.index === 0 && d.status === 'in-progress') throw err('at-start', 'already at the first item');
      return record((d) => {
        if (d.status === 'in-progress') d.index--;
        else d.status = 'in-progress';
      });
    },
    stop_screening: () => record((d) => (d.status = 'stopped')),
    handover_start: () => {
      officerOnly();
      current();
      open!.handover = true;
      return view();
    },
    handover_end: (args) => {
      unlocked();
      if (args.secret !== secret) throw err('wrong-secret', 'the secret is not right');
      if (open) open.handover = false;
      return view();
    },
    outcome: () => outcomeView(),
    set_referral: (args) => {
      officerOnly();
      const d = current();
      const id = String(args.resourceId);
      if (!REFERRALS.some((r) => r.resource_id === id)) throw err('unknown-resource', `\`${id}\` is not a referral`);
      d.referrals.set(id, args.choice as ReferralChoice);
      return outcomeView();
    },
    check_notes: (args) => {
      officerOnly();
      return check(String(args.text));
    },
    save_notes: (args) => {
      officerOnly();
      const text = String(args.text);
      if ([...text].length > 2000) throw err('too-long', 'notes are kept brief: at most 2000 characters');
      current().notes = text.trim();
      return outcomeView();
    },
    resource_card: (): ResourceCard => {
      officerOnly();
      const d = current();
      const es = d.language === 'es';
      const resources = [
        {
          name: 'National Human Trafficking Hotline',
          phone: '1-888-373-7888',
          text: '233733',
          url: null,
          hours: '24/7',
          description: es ? 'Ayuda gratuita y confidencial a cualquier hora.' : 'Free, confidential help any time.',
        },
        { name: 'Emergency services (911)', phone: '911', text: null, url: null, hours: '24/7', description: es ? 'Llame al 911 si está en peligro.' : 'Call 911 in danger.' },
      ];
      const text = 'National Human Trafficking Hotline tel:1-888-373-7888 text:233733\nEmergency services (911) tel:911';
      return { language: d.language, resources, qr: fakeQr(text) };
    },
    finalize: () => {
      officerOnly();
      const d = current();
      drafts.delete(d.id);
      open = null;
      const id = `r-${++seq}`;
      records.unshift({ id, protocol_id: d.protocol, created_at: '2026-03-01T02:30:00Z', level: outcome(d).level.id, amends: null, synced: false, queued: true });
      return { record_id: id, pending: records.filter((r) => r.queued).length };
    },
    close_screening: () => {
      officerOnly();
      open = null;
      return null;
    },
    export_options: () => {
      officerOnly();
      return { recipients: [...recipients], records: [...records], suggested_path: SUGGESTED_PATH };
    },
    export_bundle: async (args) => {
      officerOnly();
      const a = args.args as ExportArgs;
      if (recipients.length === 0)
        throw err('no-recipients', 'the agency policy lists no unit recipients: ask the unit to add its custodians ([[policy.recipients]])');
      if (a.recipients.length === 0) throw err('invalid', 'choose at least one recipient');
      for (const name of a.recipients)
        if (!recipients.some((r) => r.name === name)) throw err('unknown-recipient', `\`${name}\` is not a unit recipient in the policy`);
      const path = a.path.trim();
      if (!path.startsWith('/') || path.endsWith('/')) throw err('invalid-path', `\`${a.path}\` is not a full path to a new file`);
      if (files.has(path)) throw err('invalid-path', `\`${path}\` already exists`);
      if (a.secret !== secret) throw err('wrong-secret', 'the secret is not right');
      if (a.record_ids.length === 0) throw err('invalid', 'choose at least one record');
      for (const id of a.record_ids) if (!records.some((r) => r.id === id)) throw err('not-found', `no sealed record \`${id}\``);
      const total = a.record_ids.length;
      for (let done = 0; done <= total; done++) {
        await emit('export-progress', { done, total });
        if (done === 0 && exportGate) await exportGate;
      }
      const sha256 = fakeSha(`${path}:${a.record_ids.join(',')}:${a.recipients.join(',')}`);
      files.set(path, { sha256, records: [...a.record_ids] });
      return { path, sha256, records: total };
    },
    sync_status: () => syncView(),
    sync_now: () => {
      const v = syncView();
      if (hub.enrolled && hub.online) {
        const failing = new Set(hub.errors.map((e) => e.record_id));
        records.forEach((r) => {
          if (r.queued && !failing.has(r.id)) ((r.synced = true), (r.queued = false));
        });
        hub = { ...hub, last_sync: new Date().toISOString(), last_error: null };
        return syncView();
      }
      if (hub.enrolled) hub = { ...hub, last_error: 'the hub is not reachable; records stay queued' };
      return hub.enrolled ? syncView() : v;
    },
    'plugin:dialog|save': () => savePath,
  };

  mockIPC(
    (cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      const e = failNext.get(cmd);
      if (e) {
        failNext.delete(cmd);
        if (e.kind === 'locked') doLock();
        throw e;
      }
      const h = handlers[cmd];
      if (!h) throw err('unknown-command', `No such command: ${cmd}`);
      return h(args);
    },
    { shouldMockEvents: true },
  );

  return {
    calls,
    /** The next call of `cmd` rejects with `error`. */
    failNext: (cmd: string, error: CommandError) => failNext.set(cmd, error),
    commands: () => calls.map((c) => c.cmd),
    /** The backend's own lock (inactivity, focus loss): locks and emits `locked`. */
    lockFromBackend: async () => {
      doLock();
      await emit('locked');
    },
    phase: () => phase,
    /** The vault was crypto-wiped (too many failed unlocks). */
    wipe: () => {
      phase = 'wiped';
      open = null;
    },
    handover: () => !!open?.handover,
    drafts: () => [...drafts.values()],
    records: () => [...records],
    /** The unit custodians the policy lists. */
    setRecipients: (list: RecipientView[]) => (recipients = list),
    /** What the device knows of the hub. */
    setSync: (view: Partial<Omit<SyncView, 'pending'>>) => (hub = { ...hub, ...view }),
    /** A background sync pass ended. */
    emitSync: () => emit('sync'),
    /** Holds the next exports after their first progress event until `releaseExport()`. */
    holdExport: () => {
      exportGate = new Promise((r) => (releaseGate = r));
    },
    releaseExport: () => {
      releaseGate?.();
      exportGate = null;
      releaseGate = null;
    },
    /** What the save dialog returns (null: the officer cancelled it). */
    setSavePath: (p: string | null) => (savePath = p),
    /** Bundles written so far, by path. */
    files: () => new Map(files),
    /** Mark every queued record as acknowledged by the hub. */
    syncAll: () => records.forEach((r) => ((r.synced = true), (r.queued = false))),
  };
}

export type FakeBackend = ReturnType<typeof installFakeBackend>;

/** A single item, for rendering ItemScreen/AnswerButtons on their own. */
export function makeItem(overrides: Partial<ItemView> = {}): ItemView {
  return {
    id: 'q-x',
    kind: 'question',
    label: 'A question',
    section: WORK,
    text: 'A question for the person?',
    guidance: { why: 'Why text', how: 'How text', avoid: 'Avoid text' },
    answer: { type: 'yes-no', choices: [], min: null, max: null },
    options: YES_NO,
    current: null,
    ...overrides,
  };
}
