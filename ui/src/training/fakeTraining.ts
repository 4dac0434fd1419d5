// A stand-in for the training commands of the Rust backend (src-tauri/src/training.rs and the
// engine in crates/screening), installed with mockIPC. It keeps the real behaviour: a run held
// in memory, answers applied through a small engine (skip to the next open item, back, stop,
// stop rules), the person's cue for the item on screen, time charged to the section of the item
// that was on screen, and a debrief compared with what the scenario expects, in the same shapes
// and error kinds.
import { mockIPC } from '@tauri-apps/api/mocks';
import type { Answer } from '../bindings/Answer';
import type { CommandError } from '../bindings/CommandError';
import type { Debrief } from '../bindings/Debrief';
import type { Flag } from '../bindings/Flag';
import type { Group } from '../bindings/Group';
import type { Indicator } from '../bindings/Indicator';
import type { ItemView } from '../bindings/ItemView';
import type { Learning } from '../bindings/Learning';
import type { Level } from '../bindings/Level';
import type { Outcome } from '../bindings/Outcome';
import type { ScenarioSummary } from '../bindings/ScenarioSummary';
import type { SectionView } from '../bindings/SectionView';
import type { Status } from '../bindings/Status';
import type { Trainer } from '../bindings/Trainer';
import type { TrainingDebrief } from '../bindings/TrainingDebrief';
import type { TrainingView } from '../bindings/TrainingView';

interface FakeItem {
  id: string;
  kind: ItemView['kind'];
  label: string;
  type: 'yes-no' | 'observation' | 'read' | 'choice';
  section: SectionView;
  text: Record<string, string>;
  guidance: ItemView['guidance'];
  choices?: { id: string; text: Record<string, string> }[];
  /** answer token -> groups it indicates */
  indicates?: Record<string, Group[]>;
}

const SAFETY: SectionView = { id: 'safety', title: 'Safety first', safety: true };
const INTRO: SectionView = { id: 'introduction', title: 'Who you are and what to expect', safety: false };
const OBSERVE: SectionView = { id: 'observations', title: 'What you can see', safety: false };
const WORK: SectionView = { id: 'work', title: 'Work and papers', safety: false };

const g = (why: string, how: string, avoid = '') => ({ why, how, avoid });

export const ITEMS: FakeItem[] = [
  {
    id: 'in-danger',
    kind: 'question',
    label: 'Hurt or in danger now',
    type: 'yes-no',
    section: SAFETY,
    text: { en: 'Are you hurt, or do you feel you are in danger right now?', es: '¿Tiene alguna herida, o siente que corre peligro en este momento?' },
    guidance: g('Safety comes before anything else.', 'Ask this first, calmly.', 'Do not ask who is putting them in danger.'),
    indicates: { yes: ['safety'] },
  },
  {
    id: 'introduction',
    kind: 'script',
    label: 'Introduction and the right to skip or stop',
    type: 'read',
    section: INTRO,
    text: { en: 'I am a police officer. You can skip any question and stop at any time.', es: 'Soy agente de policía. Puede saltar cualquier pregunta y parar en cualquier momento.' },
    guidance: g('Knowing they can skip or stop gives back some control.', 'Speak slowly, away from companions.'),
  },
  {
    id: 'documents-held',
    kind: 'observation',
    label: 'Documents held by someone else',
    type: 'observation',
    section: OBSERVE,
    text: { en: 'Documents held by someone else' },
    guidance: g('Holding papers is a common form of control.', 'Look, do not ask.'),
    indicates: { seen: ['coercion'] },
  },
  {
    id: 'consent',
    kind: 'question',
    label: 'Agrees to a few questions',
    type: 'yes-no',
    section: INTRO,
    text: { en: 'Is it all right if I ask you a few short questions?', es: '¿Está bien si le hago unas preguntas cortas?' },
    guidance: g('Questions are asked only with agreement.', 'Wait for a clear answer.', 'Do not press.'),
  },
  {
    id: 'works-for-someone',
    kind: 'question',
    label: 'Works for someone who controls the work',
    type: 'yes-no',
    section: WORK,
    text: { en: 'Do you work for someone who controls your work?', es: '¿Trabaja para alguien que controla su trabajo?' },
    guidance: g('A purpose indicator.', 'Ask plainly.'),
    indicates: { yes: ['purpose-labor'] },
  },
  {
    id: 'papers-kept',
    kind: 'question',
    label: 'Papers kept by someone else',
    type: 'yes-no',
    section: WORK,
    text: { en: 'Does someone else keep your ID or papers?', es: '¿Alguien más guarda su identificación o sus papeles?' },
    guidance: g('Holding documents is a common form of control.', 'Ask plainly.', 'Do not ask about immigration status.'),
    indicates: { yes: ['coercion'] },
  },
  {
    id: 'paid',
    kind: 'question',
    label: 'Paid for the work',
    type: 'choice',
    section: WORK,
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

const GLOSSARY = [
  { avoid: 'pimp', prefer: 'trafficker; person who exploits them', why: 'Carries a glamorised image and hides a serious crime.' },
  { avoid: 'illegals', prefer: 'immigrants; people without status', why: 'A slur that turns people into a category.' },
  { avoid: 'the victim', prefer: 'the person; their name', why: 'During a screening nothing has been established.' },
];

const GROUP_ORDER: Group[] = ['force', 'fraud', 'coercion', 'purpose-sex', 'purpose-labor', 'minor', 'safety'];
const MEANS: Group[] = ['force', 'fraud', 'coercion'];

class CmdError extends Error {
  constructor(public kind: string, message: string) {
    super(message);
  }
  toJSON(): CommandError {
    return { kind: this.kind, message: this.message };
  }
}

const tokenOf = (a: Answer): string => ('value' in a ? `${a.kind}:${a.value}` : a.kind);

function tokensOf(it: FakeItem): string[] {
  switch (it.type) {
    case 'yes-no':
      return ['yes', 'no', 'not-sure', 'declined'];
    case 'observation':
      return ['seen', 'not-seen', 'not-sure'];
    case 'read':
      return ['read'];
    case 'choice':
      return ['not-sure', 'declined'];
  }
}

class Run {
  answers = new Map<string, Answer>();
  position: number | null = 0;
  stopped = false;
  spent = new Map<string, number>();
  shownAt: number;
  constructor(
    public scenario: FakeScenario,
    now: number,
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
    const sec = this.position === null ? null : ITEMS[this.position].section.id;
    event();
    if (sec !== null) this.spent.set(sec, (this.spent.get(sec) ?? 0) + Math.max(0, now - this.shownAt) / 1000);
    this.shownAt = now;
    return this.view();
  }

  previous(): number | null {
    if (this.position !== null) return this.position > 0 ? this.position - 1 : null;
    for (let j = ITEMS.length - 1; j >= 0; j--) if (this.answers.has(ITEMS[j].id)) return j;
    return null;
  }

  answer(id: string, a: Answer) {
    if (this.stopped) throw new CmdError('stopped', 'the person stopped the screening; it is kept as it was');
    if (this.position === null) {
      const r = this.stopRule();
      if (r) throw new CmdError('concluded', `the screening was concluded by the stop rule \`${r.id}\``);
    }
    const i = ITEMS.findIndex((x) => x.id === id);
    if (i < 0) throw new CmdError('unknown-item', `no item \`${id}\``);
    const it = ITEMS[i];
    const ok = 'value' in a ? a.kind === 'choice' && it.type === 'choice' && !!it.choices?.some((c) => c.id === a.value) : tokensOf(it).includes(a.kind);
    if (!ok) throw new CmdError('invalid-answer', `\`${id}\`: ${tokenOf(a)} is not an answer to this item`);
    this.answers.set(id, a);
    if (this.stopRule()) {
      this.position = null;
      return;
    }
    const open = (j: number) => !this.answers.has(ITEMS[j].id);
    let next: number | null = null;
    for (let j = i + 1; j < ITEMS.length && next === null; j++) if (open(j)) next = j;
    for (let j = 0; j < i && next === null; j++) if (open(j)) next = j;
    this.position = next;
  }

  back() {
    if (this.stopped) throw new CmdError('stopped', 'the person stopped the screening; it is kept as it was');
    const p = this.previous();
    if (p === null) throw new CmdError('at-start', 'already at the first item');
    this.position = p;
  }

  stop() {
    if (this.stopped) throw new CmdError('stopped', 'the person stopped the screening; it is kept as it was');
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
    const lang = s.summary.language;
    const words = (m: Record<string, string>) => m[lang] ?? m.en ?? '';
    const it = this.position === null ? null : ITEMS[this.position];
    const status = this.status();
    const rule = this.stopRule();
    return {
      scenario: { id: s.summary.id, title: s.summary.title, summary: s.summary.summary, language: lang, trainer: s.trainer, learning: s.learning },
      session: {
        draft_id: null,
        protocol: PROTOCOL,
        language: lang,
        current: it && {
          id: it.id,
          kind: it.kind,
          label: it.label,
          section: it.section,
          text: it.kind === 'observation' ? it.label : words(it.text),
          guidance: it.guidance,
          answer: { type: it.type, choices: (it.choices ?? []).map((c) => ({ id: c.id, text: words(c.text) })), min: null, max: null },
          options: tokensOf(it),
          current: this.answers.get(it.id) ?? null,
        },
        position: { index: this.position === null ? ITEMS.length : this.position + 1, total: ITEMS.length },
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
    for (const it of ITEMS) {
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
    const ref = (t: string) => ITEMS.filter((it) => this.answers.get(it.id)?.kind === t).map((it) => ({ item: it.id, label: it.label }));
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
      unanswered: partial ? ITEMS.filter((it) => !this.answers.has(it.id)).map((it) => it.id) : [],
      actions: level.rank >= 2 ? [{ id: 'trafficking-unit', kind: 'unit', text: 'Contact the trafficking unit.' }] : [{ id: 'hotline-card', kind: 'hotline', text: 'Offer the hotline card.' }],
      non_arrest_guidance: groups.length > 0 ? 'Do not arrest for offences the person was compelled to commit.' : null,
    };
  }

  debrief(notes: string): TrainingDebrief {
    const s = this.scenario;
    const o = this.outcome();
    const e = s.expect;
    const mismatches: string[] = [];
    if (o.level.id !== e.level) mismatches.push(`level: expected \`${e.level}\`, got \`${o.level.id}\``);
    const want = GROUP_ORDER.filter((x) => e.groups.includes(x));
    if (want.join() !== o.groups.join()) mismatches.push(`groups: expected [${want.join(', ')}], got [${o.groups.join(', ')}]`);
    if (e.stopped !== undefined && e.stopped !== o.stopped) mismatches.push(`stopped: expected ${e.stopped}, got ${o.stopped}`);
    if (e.partial !== undefined && e.partial !== o.partial) mismatches.push(`partial: expected ${e.partial}, got ${o.partial}`);
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
        .filter((c) => ITEMS.find((it) => it.id === c.item)?.indicates)
        .filter((c) => !recorded.includes(c.item))
        .map((c) => ({ item: c.item, label: ITEMS.find((it) => it.id === c.item)?.label ?? '' })),
      outcome: o,
      learning: s.learning,
    };
    const sections = ITEMS.map((it) => it.section)
      .filter((sec, i, all) => all.findIndex((x) => x.id === sec.id) === i)
      .filter((sec) => this.spent.has(sec.id))
      .map((sec) => ({ id: sec.id, title: sec.title, seconds: this.spent.get(sec.id)! }));
    return { debrief, note_flags: checkNotes(notes), sections, total_seconds: sections.reduce((t, x) => t + x.seconds, 0) };
  }
}

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

export interface FakeTraining {
  /** Every command called, in order, with its arguments. */
  calls: { cmd: string; args: Record<string, unknown> }[];
  /** The answers recorded in the current run, by item id (empty when none runs). */
  recorded: () => Record<string, Answer>;
  running: () => boolean;
  /** Moves the fake clock on. */
  advance: (seconds: number) => void;
}

/** Installs the fake training backend; `start` is the fake clock's start in ms. */
export function installFakeTraining(opts: { scenarios?: FakeScenario[]; start?: number } = {}): FakeTraining {
  const scenarios = opts.scenarios ?? SCENARIOS;
  let clock = opts.start ?? 1_000_000;
  let run: Run | null = null;
  const calls: FakeTraining['calls'] = [];
  const need = (): Run => {
    if (!run) throw new CmdError('no-session', 'no training scenario is running; choose one first');
    return run;
  };
  const handle = (cmd: string, args: Record<string, unknown>): unknown => {
    switch (cmd) {
      case 'training_scenarios':
        return scenarios.map((s) => ({ ...s.summary, trainer: s.trainer, learning: s.learning }));
      case 'training_begin': {
        const s = scenarios.find((x) => x.summary.id === args.scenarioId);
        if (!s) throw new CmdError('unknown-scenario', `no training scenario \`${String(args.scenarioId)}\``);
        run = new Run(s, clock);
        return run.view();
      }
      case 'training_view':
        return need().view();
      case 'training_answer': {
        const r = need();
        return r.apply(clock, () => r.answer(String(args.itemId), args.answer as Answer));
      }
      case 'training_back': {
        const r = need();
        return r.apply(clock, () => r.back());
      }
      case 'training_stop': {
        const r = need();
        return r.apply(clock, () => r.stop());
      }
      case 'training_debrief':
        return need().debrief(String(args.notes ?? ''));
      case 'training_end':
        run = null;
        return null;
      default:
        throw new CmdError('unknown-command', `the fake training backend has no \`${cmd}\``);
    }
  };
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    try {
      return handle(cmd, args);
    } catch (e) {
      if (e instanceof CmdError) throw e.toJSON();
      throw e;
    }
  });
  return {
    calls,
    recorded: () => (run ? Object.fromEntries(run.answers) : {}),
    running: () => run !== null,
    advance: (seconds: number) => {
      clock += seconds * 1000;
    },
  };
}
