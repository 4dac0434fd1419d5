// A tiny stand-in for the Rust backend: one protocol, four items
// (a safety question, a question, an observation, a script), then an outcome.
import { mockIPC } from '@tauri-apps/api/mocks';
import type {
  Answer,
  Indicator,
  IpcError,
  ItemView,
  Outcome,
  ProtocolSummary,
  SessionStatus,
  SessionView,
} from '../lib/types';

export const PROTOCOLS: ProtocolSummary[] = [
  {
    id: 'test-adult',
    version: '1.2.0',
    title: 'Adult screening (test)',
    summary: 'A short test protocol for adults.',
    population: 'adult',
    languages: ['en', 'es'],
    asked_items: 2,
  },
  {
    id: 'test-minor',
    version: '0.9.0',
    title: 'Minor screening (test)',
    summary: 'A short test protocol for minors.',
    population: 'minor',
    languages: ['en'],
    asked_items: 2,
  },
];

const YES_NO = ['yes', 'no', 'not-sure', 'declined'];

function yesNo(
  id: string,
  label: string,
  section: ItemView['section'],
  text: Record<string, string>,
  guidance: ItemView['guidance'],
) {
  return { id, label, section, text, guidance, kind: 'question' as const, type: 'yes-no' as const };
}

const SAFETY = { id: 'safety', title: 'Safety', safety: true };
const WORK = { id: 'work', title: 'Work and living', safety: false };

const ITEMS = [
  yesNo(
    'q-safe-now',
    'Safe to talk now',
    SAFETY,
    { en: 'Are you safe to talk with me right now?', es: '¿Puede hablar conmigo con seguridad ahora?' },
    {
      why: 'The person may be watched or at risk.',
      how: 'Ask quietly, away from others.',
      avoid: 'Do not ask in front of a companion.',
    },
  ),
  yesNo(
    'q-threats',
    'Threats of harm',
    WORK,
    { en: 'Has anyone hurt you or threatened to hurt you?', es: '¿Alguien le ha hecho daño o amenazado?' },
    { why: 'Force is a core indicator.', how: 'Ask slowly and calmly.', avoid: 'Do not say "victim".' },
  ),
  {
    id: 'o-locks',
    label: 'Locks on the outside of doors',
    section: WORK,
    text: { en: 'Locks on the outside of doors', es: 'Cerraduras por fuera' },
    guidance: { why: 'Restriction of movement.', how: 'Look, do not ask.', avoid: '' },
    kind: 'observation' as const,
    type: 'observation' as const,
  },
  {
    id: 's-closing',
    label: 'Closing',
    section: WORK,
    text: { en: 'Thank you for talking with me.', es: 'Gracias por hablar conmigo.' },
    guidance: { why: '', how: 'Read this aloud.', avoid: '' },
    kind: 'script' as const,
    type: 'read' as const,
  },
];

const OPTIONS: Record<string, string[]> = {
  'yes-no': YES_NO,
  observation: ['seen', 'not-seen', 'not-sure'],
  read: ['read'],
};

export const NON_ARREST = 'Do not arrest for offences the person was compelled to commit.';

export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

/** Install the fake backend with mockIPC; returns the recorded calls and a way to inject errors. */
export function installFakeBackend() {
  const calls: Call[] = [];
  const failNext = new Map<string, IpcError>();

  let language = 'en';
  let index = 0;
  let status: SessionStatus = 'in-progress';
  let started = false;
  const answers = new Map<string, Answer>();

  function itemView(i: number): ItemView {
    const it = ITEMS[i];
    return {
      id: it.id,
      kind: it.kind,
      label: it.label,
      section: it.section,
      text: (it.text as Record<string, string>)[language] ?? it.text.en,
      guidance: it.guidance,
      answer: { type: it.type, choices: [], min: null, max: null },
      options: OPTIONS[it.type],
      current: answers.get(it.id) ?? null,
    };
  }

  function view(): SessionView {
    const p = PROTOCOLS[0];
    return {
      protocol: { id: p.id, version: p.version, title: p.title },
      language,
      current: status === 'in-progress' ? itemView(index) : null,
      position: { index: index + 1, total: ITEMS.length },
      can_go_back: index > 0,
      status,
      stop_rule: null,
    };
  }

  function outcome(): Outcome {
    const ind = (id: string): Indicator => {
      const it = ITEMS.find((x) => x.id === id)!;
      return { item: id, label: it.label, answer: answers.get(id)!.kind, detail: null };
    };
    const is = (id: string, kind: string) => answers.get(id)?.kind === kind;
    const force = is('q-threats', 'yes') ? [ind('q-threats')] : [];
    const coercion = is('o-locks', 'seen') ? [ind('o-locks')] : [];
    const safety = is('q-safe-now', 'no') ? [ind('q-safe-now')] : [];
    const refs = (kind: string) =>
      ITEMS.filter((it) => is(it.id, kind)).map((it) => ({ item: it.id, label: it.label }));
    const any = force.length + coercion.length + safety.length > 0;
    const stopped = status === 'stopped';
    return {
      protocol: { id: PROTOCOLS[0].id, version: PROTOCOLS[0].version },
      level: any
        ? { id: 'indicators', rank: 2, title: 'Indicators present', meaning: 'Refer to specialist services.' }
        : { id: 'none-seen', rank: 0, title: 'No indicators seen', meaning: 'In the items covered.' },
      indicators: {
        force,
        fraud: [],
        coercion,
        purpose: [{ item: 'q-purpose', label: 'Made to work without pay', answer: 'yes', detail: 'labor' }],
        minor: [],
        safety,
      },
      declined: refs('declined'),
      not_sure: refs('not-sure'),
      stopped,
      partial: stopped,
      stop_rule: null,
      unanswered: ITEMS.filter((it) => !answers.has(it.id)).map((it) => it.id),
      actions: [
        { id: 'a-safety', kind: 'safety', text: 'Make sure the person is safe now.' },
        { id: 'a-refer', kind: 'referral', text: 'Offer the hotline number.' },
      ],
      non_arrest_guidance: NON_ARREST,
    };
  }

  const handlers: Record<string, (args: Record<string, unknown>) => unknown> = {
    list_protocols: () => PROTOCOLS,
    start_screening: (args) => {
      language = String(args.language);
      index = 0;
      status = 'in-progress';
      started = true;
      answers.clear();
      return view();
    },
    answer: (args) => {
      const id = String(args.itemId);
      if (!started || ITEMS[index].id !== id) throw { kind: 'wrong-item', message: `Not the current item: ${id}` };
      answers.set(id, args.answer as Answer);
      if (index + 1 < ITEMS.length) index++;
      else status = 'complete';
      return view();
    },
    go_back: () => {
      if (index > 0) index--;
      return view();
    },
    stop_screening: () => {
      status = 'stopped';
      return view();
    },
    outcome: () => outcome(),
    end_screening: () => {
      started = false;
      answers.clear();
      return null;
    },
  };

  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    const err = failNext.get(cmd);
    if (err) {
      failNext.delete(cmd);
      throw err;
    }
    const h = handlers[cmd];
    if (!h) throw { kind: 'unknown-command', message: `No such command: ${cmd}` };
    return h(args);
  });

  return {
    calls,
    /** The next call of `cmd` rejects with `error`. */
    failNext: (cmd: string, error: IpcError) => failNext.set(cmd, error),
    commands: () => calls.map((c) => c.cmd),
  };
}

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
