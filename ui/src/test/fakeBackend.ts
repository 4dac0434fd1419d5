// The one stand-in for the Rust backend in UI tests, installed with mockIPC: the officer app's
// commands (src-tauri/src/field.rs: phases, the lock and hand-over refusals, `saved_events`, two
// small protocols, an in-memory "vault" of drafts and records) and training's
// (src-tauri/src/training.rs: a scenario run in memory through a small engine, the person's cue,
// time per section, a debrief against what the scenario expects), in the same shapes and error
// kinds. Its handlers are typed by `Commands` in ../lib/ipc.ts, over the generated bindings, so a
// renamed command or field fails the type check, and fakeBackend.test.ts holds the handlers to
// the commands ipc.ts invokes. Unit tests use it, and `VITE_FAKE_BACKEND=1` builds (the
// accessibility check) run the UI on it.
import { mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import type { Command, CommandArgs, CommandResult } from '../lib/ipc';
import type {
  Answer,
  AppStatus,
  CommandError,
  DraftView,
  Flag,
  Group,
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
import type { Debrief } from '../bindings/Debrief';
import type { Guidance } from '../bindings/Guidance';
import type { LanguageView } from '../bindings/LanguageView';
import type { SpeakPart } from '../bindings/SpeakPart';
import type { Learning } from '../bindings/Learning';
import type { Level } from '../bindings/Level';
import type { ScenarioSummary } from '../bindings/ScenarioSummary';
import type { SectionView } from '../bindings/SectionView';
import type { Trainer } from '../bindings/Trainer';
import type { TrainingDebrief } from '../bindings/TrainingDebrief';
import type { TrainingView } from '../bindings/TrainingView';
import type { AnswerToken } from '../bindings/AnswerToken';
import type { ErrorKind } from '../bindings/ErrorKind';
import type { Mismatch } from '../bindings/Mismatch';
import { errorClass } from '../lib/errors';

/** One handler per backend command, with the command's own argument and answer types. */
export type FakeHandlers = { [C in Command]: (args: CommandArgs<C>) => CommandResult<C> | Promise<CommandResult<C>> };

const err = (kind: ErrorKind, message: string): CommandError => ({ kind, message });

/** An item of a fake protocol; `indicates` is read by the officer's or training's outcome. */
interface FakeItem<Indicates> {
  id: string;
  label: string;
  kind: ItemView['kind'];
  type: 'yes-no' | 'observation' | 'read' | 'choice' | 'number' | 'text';
  section: SectionView;
  text: Record<string, string>;
  guidance: Guidance;
  choices?: { id: string; text: Record<string, string> }[];
  indicates?: Indicates;
}

/** The answer tokens the engine offers besides the choices, by answer type. */
function tokensOf(type: FakeItem<unknown>['type']): AnswerToken[] {
  switch (type) {
    case 'yes-no':
      return ['yes', 'no', 'not-sure', 'declined'];
    case 'observation':
      return ['seen', 'not-seen', 'not-sure'];
    case 'read':
      return ['read'];
    case 'choice':
    case 'number':
      return ['not-sure', 'declined'];
    case 'text':
      return ['declined'];
  }
}

/** The item as src-tauri/src/view.rs builds it: the person's words in `language`. */
function itemView(it: FakeItem<unknown>, language: string, current: Answer | null): ItemView {
  const words = (m: Record<string, string>) => m[language] ?? m.en ?? '';
  return {
    id: it.id,
    kind: it.kind,
    label: it.label,
    section: it.section,
    text: it.kind === 'observation' ? it.label : words(it.text),
    guidance: it.guidance,
    answer: { type: it.type, choices: (it.choices ?? []).map((c) => ({ id: c.id, text: words(c.text) })), min: null, max: null },
    options: tokensOf(it.type),
    current,
    recorded_audio: false,
  };
}

export const GLOSSARY = [
  { avoid: 'prostitute', prefer: 'person who traded sex', why: 'A label on the person; describe what happened instead.' },
  { avoid: 'illegal alien', prefer: 'person without immigration status', why: 'Dehumanizing and inaccurate.' },
  { avoid: 'pimp', prefer: 'trafficker; person who exploits them', why: 'Carries a glamorised image and hides a serious crime.' },
  { avoid: 'illegals', prefer: 'immigrants; people without status', why: 'A slur that turns people into a category.' },
  { avoid: 'the victim', prefer: 'the person; their name', why: 'During a screening nothing has been established.' },
];

/** The glossary check: case-insensitive, on word boundaries, byte offsets as Rust gives them. */
export function checkNotes(text: string): Flag[] {
  const flags: Flag[] = [];
  const bytes = (s: string) => new TextEncoder().encode(s).length;
  for (const t of GLOSSARY) {
    const re = new RegExp(`\\b${t.avoid.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'gi');
    for (const m of text.matchAll(re)) {
      const before = text.slice(0, m.index);
      const lines = before.split('\n');
      const start = bytes(before);
      flags.push({ start, end: start + bytes(m[0]), line: lines.length, col: lines[lines.length - 1].length + 1, found: m[0], avoid: t.avoid, prefer: t.prefer, why: t.why });
    }
  }
  return flags.sort((a, b) => a.start - b.start);
}

// ---- the language registry, as screening-protocols/languages.toml has it ----

export const LANGUAGES: LanguageView[] = [
  { code: 'en', name: 'English', english: 'English', direction: 'ltr', status: { state: 'source' }, read_aloud: true },
  { code: 'es', name: 'Español', english: 'Spanish', direction: 'ltr', status: { state: 'unreviewed' }, read_aloud: true },
  { code: 'ar', name: 'العربية', english: 'Arabic', direction: 'rtl', status: { state: 'unreviewed' }, read_aloud: true },
  { code: 'zh', name: '中文（简体）', english: 'Chinese (Simplified, Mandarin)', direction: 'ltr', status: { state: 'unreviewed' }, read_aloud: true },
  { code: 'tl', name: 'Tagalog', english: 'Tagalog (Filipino)', direction: 'ltr', status: { state: 'unreviewed' }, read_aloud: false },
];

/** `code` as src-tauri/src/view.rs `language_view` gives it. */
export function languageView(code: string): LanguageView {
  return (
    LANGUAGES.find((l) => l.code === code) ?? { code, name: code, english: code, direction: 'ltr', status: { state: 'unreviewed' }, read_aloud: false }
  );
}

/** A short, valid WAV (PCM, 8 kHz mono, silence) standing for what the backend synthesizes. */
export function fakeWav(samples = 800): ArrayBuffer {
  const b = new ArrayBuffer(44 + samples * 2);
  const v = new DataView(b);
  const str = (o: number, t: string) => [...t].forEach((c, i) => v.setUint8(o + i, c.charCodeAt(0)));
  str(0, 'RIFF');
  v.setUint32(4, 36 + samples * 2, true);
  str(8, 'WAVE');
  str(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, 8000, true);
  v.setUint32(28, 16000, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  str(36, 'data');
  v.setUint32(40, samples * 2, true);
  return b;
}

// ---- the officer app's protocols ----

export const PROTOCOLS: ProtocolSummary[] = [
  {
    id: 'test-adult',
    version: '1.2.0',
    title: 'Adult screening (test)',
    summary: 'A short test protocol for adults.',
    population: 'adult',
    languages: ['en', 'es', 'ar', 'zh', 'tl'],
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

const YES_NO: AnswerToken[] = ['yes', 'no', 'not-sure', 'declined'];
const SAFETY = { id: 'safety', title: 'Safety', safety: true };
const PERMISSION = { id: 'permission', title: 'Permission', safety: false };
const OBSERVATIONS = { id: 'observations', title: 'What you see', safety: false };
const WORK = { id: 'work', title: 'Work and living', safety: false };
const CLOSING = { id: 'closing', title: 'Closing', safety: false };

type FieldItem = FakeItem<Record<string, keyof Outcome['indicators']>>;

const q = (
  id: string,
  label: string,
  section: SectionView,
  en: string,
  es: string,
  guidance: Guidance,
  indicates?: FieldItem['indicates'],
): FieldItem => ({ id, label, kind: 'question', type: 'yes-no', section, text: { en, es }, guidance, indicates });

const ADULT: FieldItem[] = [
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
  },
];

const MINOR: FieldItem[] = [
  ADULT[0],
  {
    id: 'o-older-partner',
    label: 'With a much older partner or a group of adults',
    kind: 'observation',
    type: 'observation',
    section: OBSERVATIONS,
    text: { en: 'With a much older partner or a group of adults' },
    guidance: { why: 'A common sign of exploitation of young people.', how: 'Look, do not ask.', avoid: '' },
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

// The test-adult protocol also in Arabic (right to left), Chinese and Tagalog, like the shipped
// content (unreviewed translations there too; Tagalog has no offline voice).
const MORE_TEXT: Record<string, Record<string, string>> = {
  'q-safe-now': { ar: 'هل يمكنك التحدث معي بأمان الآن؟', zh: '您现在可以安全地和我说话吗？', tl: 'Ligtas po ba kayong makipag-usap sa akin ngayon?' },
  's-consent': {
    ar: 'هل تسمح لي أن أسألك بعض الأسئلة القصيرة؟ يمكنك تخطي أي سؤال أو التوقف.',
    zh: '我可以问您几个简短的问题吗？您可以跳过任何问题，也可以停下来。',
    tl: 'Maaari po ba akong magtanong ng ilang maiikling tanong? Puwede ninyong laktawan ang alinman o huminto.',
  },
  'q-threats': { ar: 'هل آذاك أحد أو هدد بإيذائك؟', zh: '有人伤害过您或威胁要伤害您吗？', tl: 'May nanakit po ba o nagbanta na sasaktan kayo?' },
  'q-papers': { ar: 'هل يحتفظ شخص آخر بهويتك أو أوراقك؟', zh: '有别人拿着您的身份证件或文件吗？', tl: 'May ibang tao po bang may hawak ng inyong ID o mga papeles?' },
  'q-pay': { ar: 'هل تحصل على أجر مقابل عملك؟', zh: '您的工作有报酬吗？', tl: 'Binabayaran po ba kayo sa inyong trabaho?' },
  'q-pay/paid': { ar: 'نعم، أحصل على أجر', zh: '有，我拿到工资', tl: 'Opo, binabayaran ako' },
  'q-pay/not-paid': { ar: 'لا، لا أحصل على أجر', zh: '没有，我拿不到工资', tl: 'Hindi po, hindi ako binabayaran' },
  's-closing': { ar: 'شكرًا لتحدثك معي.', zh: '谢谢您和我谈话。', tl: 'Salamat po sa pakikipag-usap sa akin.' },
};
for (const it of ADULT) {
  Object.assign(it.text, it.kind === 'observation' ? {} : (MORE_TEXT[it.id] ?? {}));
  for (const c of it.choices ?? []) Object.assign(c.text, MORE_TEXT[`${it.id}/${c.id}`] ?? {});
}

const ITEMS: Record<string, FieldItem[]> = { 'test-adult': ADULT, 'test-minor': MINOR };

const REFERRALS = [
  { resource_id: 'nhth', name: 'National Human Trafficking Hotline', contact: '1-888-373-7888' },
  { resource_id: 'emergency-911', name: 'Emergency services (911)', contact: '911' },
];


export const SECRET = 'correct horse battery';
/** The unit CA fingerprint the fake hub proves it holds, and the code it takes once. */
export const HUB_FINGERPRINT = '3F2A 91C0 5B7E 44D1 08AA 6C3E 9F12 7B45 E0D3 2C88 41AF 5E69 0B7D C3A2 9E14 6F58';
export const HUB_CODE = 'K7QX-2MRP-9WTD';

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
  readAloud: boolean;
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
  /** Training scenarios (two small ones by default). */
  scenarios?: FakeScenario[];
  /** Where training's fake clock starts, in ms. */
  clock?: number;
}

export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

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

// ---- training's protocol and scenarios ----

type TrainingItem = FakeItem<Record<string, Group[]>>;

const R_SAFETY: SectionView = { id: 'safety', title: 'Safety first', safety: true };
const R_INTRO: SectionView = { id: 'introduction', title: 'Who you are and what to expect', safety: false };
const R_OBSERVE: SectionView = { id: 'observations', title: 'What you can see', safety: false };
const R_WORK: SectionView = { id: 'work', title: 'Work and papers', safety: false };

const g = (why: string, how: string, avoid = '') => ({ why, how, avoid });

export const ROADSIDE: TrainingItem[] = [
  {
    id: 'in-danger',
    kind: 'question',
    label: 'Hurt or in danger now',
    type: 'yes-no',
    section: R_SAFETY,
    text: { en: 'Are you hurt, or do you feel you are in danger right now?', es: '¿Tiene alguna herida, o siente que corre peligro en este momento?' },
    guidance: g('Safety comes before anything else.', 'Ask this first, calmly.', 'Do not ask who is putting them in danger.'),
    indicates: { yes: ['safety'] },
  },
  {
    id: 'introduction',
    kind: 'script',
    label: 'Introduction and the right to skip or stop',
    type: 'read',
    section: R_INTRO,
    text: { en: 'I am a police officer. You can skip any question and stop at any time.', es: 'Soy agente de policía. Puede saltar cualquier pregunta y parar en cualquier momento.' },
    guidance: g('Knowing they can skip or stop gives back some control.', 'Speak slowly, away from companions.'),
  },
  {
    id: 'documents-held',
    kind: 'observation',
    label: 'Documents held by someone else',
    type: 'observation',
    section: R_OBSERVE,
    text: { en: 'Documents held by someone else' },
    guidance: g('Holding papers is a common form of control.', 'Look, do not ask.'),
    indicates: { seen: ['coercion'] },
  },
  {
    id: 'consent',
    kind: 'question',
    label: 'Agrees to a few questions',
    type: 'yes-no',
    section: R_INTRO,
    text: { en: 'Is it all right if I ask you a few short questions?', es: '¿Está bien si le hago unas preguntas cortas?' },
    guidance: g('Questions are asked only with agreement.', 'Wait for a clear answer.', 'Do not press.'),
  },
  {
    id: 'works-for-someone',
    kind: 'question',
    label: 'Works for someone who controls the work',
    type: 'yes-no',
    section: R_WORK,
    text: { en: 'Do you work for someone who controls your work?', es: '¿Trabaja para alguien que controla su trabajo?' },
    guidance: g('A purpose indicator.', 'Ask plainly.'),
    indicates: { yes: ['purpose-labor'] },
  },
  {
    id: 'papers-kept',
    kind: 'question',
    label: 'Papers kept by someone else',
    type: 'yes-no',
    section: R_WORK,
    text: { en: 'Does someone else keep your ID or papers?', es: '¿Alguien más guarda su identificación o sus papeles?' },
    guidance: g('Holding documents is a common form of control.', 'Ask plainly.', 'Do not ask about immigration status.'),
    indicates: { yes: ['coercion'] },
  },
  {
    id: 'paid',
    kind: 'question',
    label: 'Paid for the work',
    type: 'choice',
    section: R_WORK,
    text: { en: 'How are you paid for your work?', es: '¿Cómo le pagan por su trabajo?' },
    guidance: g('Pay that goes to a debt can point to labor trafficking.', 'Ask without judgment.'),
    choices: [
      { id: 'paid-self', text: { en: 'I am paid myself', es: 'Me pagan a mí' } },
      { id: 'paid-debt', text: { en: 'My pay goes to a debt', es: 'Mi pago va a una deuda' } },
    ],
    indicates: { 'choice:paid-debt': ['fraud'] },
  },
];

const STOP_RULES = [
  { id: 'no-questions-wanted', item: 'consent', answer: 'no', reason: 'The person does not want to answer questions.', actions: ['hotline-card'] },
];

const LEVELS: Record<string, Level> = {
  'no-indicators-seen': { id: 'no-indicators-seen', rank: 0, title: 'No indicators seen', meaning: 'Nothing recorded points to trafficking.' },
  'indicators-present': { id: 'indicators-present', rank: 1, title: 'Indicators present', meaning: 'At least one indicator was seen or reported.' },
  'strong-indicators': { id: 'strong-indicators', rank: 2, title: 'Strong indicators', meaning: 'A means and a purpose were both recorded.' },
  'immediate-danger': { id: 'immediate-danger', rank: 3, title: 'Safety or medical need first', meaning: 'Respond to it now.' },
};

export interface FakeScenario {
  summary: Omit<ScenarioSummary, 'trainer' | 'learning'>;
  trainer: Trainer;
  learning: Learning[];
  /** What the person answers, by item id (questions and scripts). */
  answers: Record<string, Answer>;
  observe: { item: string; answer: 'seen' | 'not-seen' | 'not-sure'; cue: string }[];
  stopsAfter?: string;
  expect: { level: string; groups: Group[]; stopped?: boolean; partial?: boolean };
}

const PROTOCOL = { id: 'fake-roadside', version: '1.0.0', title: 'Adult roadside screening (test)' };

export const SCENARIOS: FakeScenario[] = [
  {
    summary: {
      id: 'van-workers',
      title: 'Workers in a van',
      summary: 'A van of farm workers is stopped; the driver holds their passports.',
      protocol_id: PROTOCOL.id,
      protocol_title: PROTOCOL.title,
      language: 'es',
      languages: [languageView('en'), languageView('es')],
    },
    trainer: {
      profile: 'Mateo, 34, a farm worker, speaks Spanish.',
      story: 'His pay goes to a debt to the crew leader, who keeps his passport.',
      notes: 'Separate the passengers; use the Spanish text, never the driver, to interpret.',
    },
    learning: [{ point: 'Holding a worker’s papers is a means of control.', source: '22 U.S.C. 7102' }],
    answers: {
      'in-danger': { kind: 'no' },
      introduction: { kind: 'read' },
      consent: { kind: 'yes' },
      'works-for-someone': { kind: 'yes' },
      'papers-kept': { kind: 'declined' },
      paid: { kind: 'choice', value: 'paid-debt' },
    },
    observe: [{ item: 'documents-held', answer: 'seen', cue: 'The driver hands over a stack of eight passports.' }],
    expect: { level: 'strong-indicators', groups: ['fraud', 'coercion', 'purpose-labor'], stopped: false, partial: false },
  },
  {
    summary: {
      id: 'stops-early',
      title: 'A person who stops early',
      summary: 'A salon worker agrees to questions, then asks to stop.',
      protocol_id: PROTOCOL.id,
      protocol_title: PROTOCOL.title,
      language: 'en',
      languages: [languageView('en'), languageView('es')],
    },
    trainer: {
      profile: 'Linh, 36, a salon worker.',
      story: 'She answers two questions and then sees the driver watching.',
      notes: 'Accept the stop at once; offer the card discreetly.',
    },
    learning: [{ point: 'A person can stop at any time; what was never asked is not a no.', source: 'WHO ethical and safety recommendations' }],
    answers: {
      'in-danger': { kind: 'no' },
      introduction: { kind: 'read' },
      consent: { kind: 'yes' },
      'works-for-someone': { kind: 'yes' },
    },
    observe: [{ item: 'documents-held', answer: 'not-seen', cue: 'She shows her own license from her own purse.' }],
    stopsAfter: 'works-for-someone',
    expect: { level: 'indicators-present', groups: ['purpose-labor'], stopped: true, partial: true },
  },
];


const GROUP_ORDER: Group[] = ['force', 'fraud', 'coercion', 'purpose-sex', 'purpose-labor', 'minor', 'safety'];
const MEANS: Group[] = ['force', 'fraud', 'coercion'];

const tokenOf = (a: Answer): string => ('value' in a ? `${a.kind}:${a.value}` : a.kind);

class Run {
  answers = new Map<string, Answer>();
  position: number | null = 0;
  stopped = false;
  spent = new Map<string, number>();
  shownAt: number;
  constructor(
    public scenario: FakeScenario,
    now: number,
    public language: string = scenario.summary.language,
  ) {
    this.shownAt = now;
  }

  stopRule() {
    return STOP_RULES.find((r) => {
      const a = this.answers.get(r.item);
      return a !== undefined && tokenOf(a) === r.answer;
    });
  }

  status(): Status {
    if (this.stopped) return 'stopped';
    if (this.position !== null) return 'in-progress';
    return this.stopRule() ? 'concluded' : 'complete';
  }

  /** Applies an event, charging the time since the item showed to the section it was in. */
  apply(now: number, event: () => void): TrainingView {
    const sec = this.position === null ? null : ROADSIDE[this.position].section.id;
    event();
    if (sec !== null) this.spent.set(sec, (this.spent.get(sec) ?? 0) + Math.max(0, now - this.shownAt) / 1000);
    this.shownAt = now;
    return this.view();
  }

  previous(): number | null {
    if (this.position !== null) return this.position > 0 ? this.position - 1 : null;
    for (let j = ROADSIDE.length - 1; j >= 0; j--) if (this.answers.has(ROADSIDE[j].id)) return j;
    return null;
  }

  answer(id: string, a: Answer) {
    if (this.stopped) throw err('stopped', 'the person stopped the screening; it is kept as it was');
    if (this.position === null) {
      const r = this.stopRule();
      if (r) throw err('concluded', `the screening was concluded by the stop rule \`${r.id}\``);
    }
    const i = ROADSIDE.findIndex((x) => x.id === id);
    if (i < 0) throw err('unknown-item', `no item \`${id}\``);
    const it = ROADSIDE[i];
    const ok = 'value' in a ? a.kind === 'choice' && it.type === 'choice' && !!it.choices?.some((c) => c.id === a.value) : tokensOf(it.type).includes(a.kind);
    if (!ok) throw err('invalid-answer', `\`${id}\`: ${tokenOf(a)} is not an answer to this item`);
    this.answers.set(id, a);
    if (this.stopRule()) {
      this.position = null;
      return;
    }
    const open = (j: number) => !this.answers.has(ROADSIDE[j].id);
    let next: number | null = null;
    for (let j = i + 1; j < ROADSIDE.length && next === null; j++) if (open(j)) next = j;
    for (let j = 0; j < i && next === null; j++) if (open(j)) next = j;
    this.position = next;
  }

  back() {
    if (this.stopped) throw err('stopped', 'the person stopped the screening; it is kept as it was');
    const p = this.previous();
    if (p === null) throw err('at-start', 'already at the first item');
    this.position = p;
  }

  stop() {
    if (this.stopped) throw err('stopped', 'the person stopped the screening; it is kept as it was');
    this.stopped = true;
  }

  personAnswer(id: string): Answer | null {
    const s = this.scenario;
    if (s.answers[id]) return s.answers[id];
    const o = s.observe.find((c) => c.item === id);
    return o ? { kind: o.answer } : null;
  }

  view(): TrainingView {
    const s = this.scenario;
    const lang = this.language;
    const it = this.position === null ? null : ROADSIDE[this.position];
    const status = this.status();
    const rule = this.stopRule();
    return {
      scenario: { id: s.summary.id, title: s.summary.title, summary: s.summary.summary, language: lang, trainer: s.trainer, learning: s.learning },
      session: {
        draft_id: null,
        protocol: PROTOCOL,
        language: lang,
        language_info: languageView(lang),
        current: it && itemView(it, lang, this.answers.get(it.id) ?? null),
        position: { index: this.position === null ? ROADSIDE.length : this.position + 1, total: ROADSIDE.length },
        can_go_back: !this.stopped && this.previous() !== null,
        status,
        stop_rule: status === 'concluded' && rule ? { id: rule.id, reason: rule.reason } : null,
        saved_events: 0,
        handover: false,
      },
      person: it && {
        says: this.personAnswer(it.id),
        observe: s.observe.find((c) => c.item === it.id)?.cue ?? null,
        stops_here: s.stopsAfter === it.id,
      },
    };
  }

  outcome(): Outcome {
    const indicators: Outcome['indicators'] = { force: [], fraud: [], coercion: [], purpose: [], minor: [], safety: [] };
    const found = new Set<Group>();
    for (const it of ROADSIDE) {
      const a = this.answers.get(it.id);
      const gs = a ? (it.indicates?.[tokenOf(a)] ?? []) : [];
      for (const grp of gs) {
        found.add(grp);
        const key = grp.startsWith('purpose') ? 'purpose' : (grp as keyof Outcome['indicators']);
        const ind: Indicator = { item: it.id, label: it.label, answer: a && 'value' in a ? String(a.value) : (a?.kind ?? ''), detail: grp.startsWith('purpose-') ? grp.slice(8) : null };
        indicators[key].push(ind);
      }
    }
    const groups = GROUP_ORDER.filter((x) => found.has(x));
    const level = groups.includes('safety')
      ? LEVELS['immediate-danger']
      : groups.some((x) => MEANS.includes(x)) && groups.some((x) => x.startsWith('purpose'))
        ? LEVELS['strong-indicators']
        : groups.length > 0
          ? LEVELS['indicators-present']
          : LEVELS['no-indicators-seen'];
    const ref = (t: string) => ROADSIDE.filter((it) => this.answers.get(it.id)?.kind === t).map((it) => ({ item: it.id, label: it.label }));
    const partial = this.status() !== 'complete' && this.status() !== 'concluded' ? true : false;
    const rule = this.stopRule();
    return {
      protocol: { id: PROTOCOL.id, version: PROTOCOL.version, content_hash: 'fake' },
      status: this.status(),
      level,
      groups,
      indicators,
      declined: ref('declined'),
      not_sure: ref('not-sure'),
      stopped: this.stopped,
      partial,
      stop_rule: rule ? { id: rule.id, reason: rule.reason } : null,
      minor_rule: false,
      unanswered: partial ? ROADSIDE.filter((it) => !this.answers.has(it.id)).map((it) => it.id) : [],
      actions: level.rank >= 2 ? [{ id: 'trafficking-unit', kind: 'unit', text: 'Contact the trafficking unit.' }] : [{ id: 'hotline-card', kind: 'hotline', text: 'Offer the hotline card.' }],
      non_arrest_guidance: groups.length > 0 ? 'Do not arrest for offences the person was compelled to commit.' : null,
    };
  }

  debrief(notes: string): TrainingDebrief {
    const s = this.scenario;
    const o = this.outcome();
    const e = s.expect;
    const mismatches: Mismatch[] = [];
    if (o.level.id !== e.level) mismatches.push({ what: 'level', expected: e.level, got: o.level.id });
    const want = GROUP_ORDER.filter((x) => e.groups.includes(x));
    if (want.join() !== o.groups.join()) mismatches.push({ what: 'groups', expected: want, got: o.groups });
    if (e.stopped !== undefined && e.stopped !== o.stopped) mismatches.push({ what: 'stopped', expected: e.stopped, got: o.stopped });
    if (e.partial !== undefined && e.partial !== o.partial) mismatches.push({ what: 'partial', expected: e.partial, got: o.partial });
    const recorded = Object.values(o.indicators).flat().map((i) => i.item);
    const debrief: Debrief = {
      scenario: s.summary.id,
      title: s.summary.title,
      protocol: PROTOCOL.id,
      matched: mismatches.length === 0,
      mismatches,
      expected_level: e.level,
      expected_level_title: LEVELS[e.level]?.title ?? '',
      expected_groups: e.groups,
      found_groups: o.groups,
      missed_groups: e.groups.filter((x) => !o.groups.includes(x)),
      extra_groups: o.groups.filter((x) => !e.groups.includes(x)),
      observations_missed: s.observe
        .filter((c) => c.answer === 'seen')
        .filter((c) => ROADSIDE.find((it) => it.id === c.item)?.indicates)
        .filter((c) => !recorded.includes(c.item))
        .map((c) => ({ item: c.item, label: ROADSIDE.find((it) => it.id === c.item)?.label ?? '' })),
      outcome: o,
      learning: s.learning,
    };
    const sections = ROADSIDE.map((it) => it.section)
      .filter((sec, i, all) => all.findIndex((x) => x.id === sec.id) === i)
      .filter((sec) => this.spent.has(sec.id))
      .map((sec) => ({ id: sec.id, title: sec.title, seconds: this.spent.get(sec.id)! }));
    return { debrief, note_flags: checkNotes(notes), sections, total_seconds: sections.reduce((t, x) => t + x.seconds, 0) };
  }
}

/** Install the fake backend with mockIPC; returns the recorded calls and a few levers. */
export function installFakeBackend(options: FakeOptions = {}) {
  const calls: Call[] = [];
  /** What was read aloud: the item on screen, the part, the language (never stored elsewhere). */
  const spoken: { item: string; part: SpeakPart; language: string }[] = [];
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
  // Training: one run at a time, in memory, on a fake clock (ms).
  const scenarios = options.scenarios ?? SCENARIOS;
  let clock = options.clock ?? 1_000_000;
  let run: Run | null = null;
  const training = (): Run => {
    if (!run) throw err('no-session', 'no training scenario is running; choose one first');
    return run;
  };

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

  function view(): SessionView {
    const d = current();
    const p = PROTOCOLS.find((x) => x.id === d.protocol)!;
    const list = items(d);
    return {
      draft_id: d.id,
      protocol: { id: p.id, version: p.version, title: p.title },
      language: d.language,
      language_info: languageView(d.language),
      current: d.status === 'in-progress' ? itemView(list[d.index], d.language, d.answers.get(list[d.index].id) ?? null) : null,
      position: { index: d.index + 1, total: list.length },
      can_go_back: d.index > 0 && d.status !== 'stopped',
      status: d.status,
      stop_rule: d.status === 'concluded' ? stopRule(d) : null,
      saved_events: d.events,
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

  function outcomeView(): OutcomeView {
    officerOnly();
    const d = current();
    return {
      outcome: outcome(d),
      referrals: REFERRALS.map((r) => ({ ...r, choice: d.referrals.get(r.resource_id) ?? 'not-offered' })),
      notes: d.notes,
      note_flags: checkNotes(d.notes),
      read_aloud: d.readAloud,
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

  const handlers: FakeHandlers = {
    status: () => status(),
    setup_options: () => {
      if (phase !== 'setup' && phase !== 'wiped') throw err('already-set-up', 'this device is already set up');
      return { protocols: PROTOCOLS, policies: POLICIES };
    },
    setup: (args) => {
      if (phase !== 'setup' && phase !== 'wiped') throw err('already-set-up', 'this device is already set up');
      const a = args.args;
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
        saved_events: d.events,
      }));
      return {
        officer_id: officer ?? '',
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
        languages: LANGUAGES.filter((l) => PROTOCOLS.some((p) => enabled.includes(p.id) && p.languages.includes(l.code))),
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
      const a = args.args;
      const p = PROTOCOLS.find((x) => x.id === a.protocol_id && enabled.includes(x.id));
      if (!p) throw err('unknown-protocol', `no protocol \`${a.protocol_id}\``);
      if (!p.languages.includes(a.language)) throw err('unknown-language', `no \`${a.language}\``);
      if (!a.encounter.type || !a.encounter.setting || !a.encounter.interpreter)
        throw err('invalid-encounter', 'choose the encounter type, setting and interpreter');
      const id = `d-${++seq}`;
      drafts.set(id, { id, protocol: p.id, language: a.language, index: 0, status: 'in-progress', answers: new Map(), events: 0, referrals: new Map(), notes: '', readAloud: false });
      open = { draft: id, handover: false };
      return view();
    },
    resume_draft: (args) => {
      officerOnly();
      const d = drafts.get(args.draftId);
      if (!d) throw err('not-found', 'no such draft');
      open = { draft: d.id, handover: false };
      return view();
    },
    current_view: () => view(),
    answer: (args) => {
      const d = current();
      const id = args.itemId;
      const list = items(d);
      if (d.status === 'stopped') throw err('stopped', 'the screening was stopped');
      if (d.status !== 'in-progress') throw err('concluded', 'the screening is over');
      if (list[d.index].id !== id) throw open!.handover ? err('handover', 'only the current question') : err('not-shown', `item \`${id}\` is not shown`);
      return record((d) => {
        const a = args.answer;
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
    speak: (args) => {
      const d = current();
      if (d.status !== 'in-progress') throw err('invalid', 'no question is on screen to read aloud');
      if (!languageView(d.language).read_aloud) throw err('no-voice', `no offline voice reads \`${d.language}\` aloud on this device`);
      d.readAloud = true;
      spoken.push({ item: items(d)[d.index].id, part: args.part, language: d.language });
      return fakeWav();
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
      const id = args.resourceId;
      if (!REFERRALS.some((r) => r.resource_id === id)) throw err('unknown-resource', `\`${id}\` is not a referral`);
      d.referrals.set(id, args.choice);
      return outcomeView();
    },
    check_notes: (args) => {
      officerOnly();
      return checkNotes(args.text);
    },
    save_notes: (args) => {
      officerOnly();
      const text = args.text;
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
      const a = args.args;
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
    enroll_device: ({ args }) => {
      officerOnly();
      if (hub.enrolled) throw err('invalid', `this device is already enrolled with ${hub.hub_url}`);
      if (!args.hub_url.trim().startsWith('https://')) throw err('invalid', 'the hub address starts with https://');
      const typed = args.fingerprint.replace(/[\s:]/g, '').toUpperCase();
      if (typed.length !== 64) throw err('invalid', `the CA fingerprint has ${typed.length} hex digits; it should have 64`);
      if (typed !== HUB_FINGERPRINT.replace(/ /g, '')) {
        throw err('untrusted', 'no certificate the hub presents has the CA fingerprint given: check it with the unit');
      }
      if (args.code.trim() !== HUB_CODE) throw err('hub', 'the hub refused: this enrollment code is not valid or was already used');
      hub = { ...hub, enrolled: true, hub_url: args.hub_url.trim(), online: true };
      return syncView();
    },
    sync_now: () => {
      const v = syncView();
      if (hub.enrolled && hub.online) {
        const failing = new Set(hub.errors.map((e) => e.record_id));
        records.forEach((r) => {
          if (r.queued && !failing.has(r.id)) {
            r.synced = true;
            r.queued = false;
          }
        });
        hub = { ...hub, last_sync: new Date().toISOString(), last_error: null };
        return syncView();
      }
      if (hub.enrolled) hub = { ...hub, last_error: 'the hub is not reachable; records stay queued' };
      return hub.enrolled ? syncView() : v;
    },
    training_scenarios: () => scenarios.map((s) => ({ ...s.summary, trainer: s.trainer, learning: s.learning })),
    training_begin: ({ scenarioId, language }) => {
      const s = scenarios.find((x) => x.summary.id === scenarioId);
      if (!s) throw err('unknown-scenario', `no training scenario \`${scenarioId}\``);
      if (language && !s.summary.languages.some((l) => l.code === language)) throw err('unknown-language', `no \`${language}\``);
      run = new Run(s, clock, language ?? s.summary.language);
      return run.view();
    },
    training_view: () => training().view(),
    training_answer: ({ itemId, answer }) => {
      const r = training();
      return r.apply(clock, () => r.answer(itemId, answer));
    },
    training_back: () => {
      const r = training();
      return r.apply(clock, () => r.back());
    },
    training_stop: () => {
      const r = training();
      return r.apply(clock, () => r.stop());
    },
    training_debrief: ({ notes }) => training().debrief(notes),
    training_end: () => {
      run = null;
      return null;
    },
    training_speak: (args) => {
      const v = training().view();
      const it = v.session.current;
      if (!it || it.kind === 'observation') throw err('invalid', 'no question is on screen to read aloud');
      if (!v.session.language_info.read_aloud) throw err('no-voice', `no offline voice reads \`${v.session.language}\` aloud`);
      spoken.push({ item: it.id, part: args.part, language: v.session.language });
      return fakeWav();
    },
  };
  // Plugin commands (not the app's own): the save dialog.
  const plugins: Record<string, () => unknown> = {
    'plugin:dialog|save': () => savePath,
  };

  mockIPC(
    (cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      const e = failNext.get(cmd);
      if (e) {
        failNext.delete(cmd);
        if (errorClass(e) === 'locked') doLock();
        throw e;
      }
      if (cmd in handlers) return (handlers[cmd as Command] as (a: unknown) => unknown)(args);
      if (cmd in plugins) return plugins[cmd]();
      // What Tauri itself answers: a plain string, not a command error.
      throw `command ${cmd} not found`;
    },
    { shouldMockEvents: true },
  );

  return {
    calls,
    spoken,
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
    syncAll: () =>
      records.forEach((r) => {
        r.synced = true;
        r.queued = false;
      }),
    /** The commands this fake answers. */
    handled: () => Object.keys(handlers) as Command[],
    /** Training: the answers recorded in the current run, by item id (empty when none runs). */
    recorded: (): Record<string, Answer> => (run ? Object.fromEntries(run.answers) : {}),
    /** Training: whether a run is open. */
    running: () => run !== null,
    /** Training: moves the fake clock on. */
    advance: (seconds: number) => {
      clock += seconds * 1000;
    },
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
    recorded_audio: false,
    ...overrides,
  };
}
