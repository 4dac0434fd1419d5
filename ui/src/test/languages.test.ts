// Language access on the officer's app (fake backend): the picker by own names, the person
// choosing on the device, the point-to-your-language card, the translation notice before a
// hand-over, and read aloud on the person's screen (bytes handed to the player, in memory only).
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import App from '../App.svelte';
import words from '../lib/personWords.json';
import HandoverScreen from '../lib/HandoverScreen.svelte';
import type { SessionView, SpeakPart } from '../lib/types';
import { LANGUAGES, fakeWav, installFakeBackend, languageView, makeItem } from './fakeBackend';

function sessionIn(language: string): SessionView {
  return {
    draft_id: 'd-1',
    protocol: { id: 'p', version: '1', title: 'P' },
    language,
    language_info: languageView(language),
    current: null,
    position: { index: 1, total: 3 },
    can_go_back: false,
    status: 'in-progress',
    stop_rule: null,
    saved_events: 0,
    handover: true,
  };
}

async function click(el: HTMLElement) {
  await vi.waitFor(() => expect((el as HTMLButtonElement).disabled === true).toBe(false));
  return fireEvent.click(el);
}
const button = (name: string | RegExp) => screen.getByRole('button', { name });
const $ = (sel: string) => document.querySelector(sel) as HTMLElement | null;

async function toNewScreening() {
  const backend = installFakeBackend({ phase: 'unlocked' });
  render(App);
  await screen.findByRole('heading', { name: 'Home', level: 1 });
  await click(button('New screening'));
  await screen.findByRole('heading', { name: 'New screening', level: 1 });
  await fireEvent.change(screen.getByLabelText('Type of encounter'), { target: { value: 'traffic-stop' } });
  await click($('[data-protocol="test-adult"]')!);
  return backend;
}

async function startIn(language: string) {
  const backend = await toNewScreening();
  await click($(`[data-language="${language}"]`)!);
  await click($('[data-interpreter="screen"]')!);
  await click(button('Start screening'));
  await screen.findByText(/Step 1/);
  return backend;
}

// jsdom has no media playback: a player that "ends" at once, so the sequence of parts runs.
let played: string[] = [];
let created: string[] = [];
let revoked: string[] = [];
beforeEach(() => {
  played = [];
  created = [];
  revoked = [];
  vi.spyOn(HTMLMediaElement.prototype, 'play').mockImplementation(function (this: HTMLMediaElement) {
    played.push(this.src);
    setTimeout(() => this.onended?.(new Event('ended')), 0);
    return Promise.resolve();
  });
  vi.spyOn(HTMLMediaElement.prototype, 'pause').mockImplementation(function (this: HTMLMediaElement) {
    this.onpause?.(new Event('pause'));
  });
  let n = 0;
  URL.createObjectURL = vi.fn(() => {
    const u = `blob:fake/${++n}`;
    created.push(u);
    return u;
  });
  URL.revokeObjectURL = vi.fn((u: string) => void revoked.push(u));
});
afterEach(() => vi.restoreAllMocks());

describe('choosing the language with the person', () => {
  test('every language by its own name, in its own script and direction, with its translation status', async () => {
    await toNewScreening();
    const picker = $('[data-part="language-picker"]')!;
    for (const l of LANGUAGES) {
      const radio = within(picker).getByRole('radio', { name: new RegExp(`^${l.name}`) });
      const own = radio.closest('label')!.querySelector('.own-name')!;
      expect(own.getAttribute('lang')).toBe(l.code);
      expect(own.getAttribute('dir')).toBe(l.direction);
    }
    expect($('[data-language="ar"]')!.closest('label')!.textContent).toContain('not checked by a translator');
    expect($('[data-language="en"]')!.closest('label')!.textContent).not.toContain('not checked');
    expect($('[data-language="tl"]')!.closest('label')!.textContent).toContain('no read aloud');
  });

  test('an unreviewed language warns the officer and points to a phone interpreter; one without a voice says so', async () => {
    await toNewScreening();
    expect($('[data-part="translation-unreviewed"]')).toBeNull();
    await click($('[data-language="ar"]')!);
    const warning = $('[data-part="translation-unreviewed"]')!;
    expect(warning.textContent).toContain('Arabic');
    expect(warning.textContent).toContain('phone interpreter');
    expect($('[data-part="no-read-aloud"]')).toBeNull();
    await click($('[data-language="tl"]')!);
    expect($('[data-part="no-read-aloud"]')!.textContent).toContain('Tagalog');
  });

  test('the person picks on the device: large tiles titled in their own language, back to the form with it chosen', async () => {
    await toNewScreening();
    await click(button('Let the person choose'));
    const grid = $('[data-part="person-language-picker"]')!;
    const tiles = within(grid).getAllByRole('button');
    expect(tiles.map((t) => t.getAttribute('data-pick-language'))).toEqual(LANGUAGES.map((l) => l.code));
    const ar = tiles.find((t) => t.dataset.pickLanguage === 'ar')!;
    expect(ar.getAttribute('lang')).toBe('ar');
    expect(ar.getAttribute('dir')).toBe('rtl');
    expect(ar.textContent).toContain(words.ar.chooseLanguage);
    // No officer words on the person's picker besides the officer's way back: no header either.
    expect(screen.queryByText('Type of encounter')).toBeNull();
    expect(screen.queryByRole('banner')).toBeNull();
    expect(screen.queryByText(/Officer officer-17/)).toBeNull();
    await click(ar);
    await screen.findByRole('heading', { name: 'New screening', level: 1 });
    expect(screen.getByRole('banner')).toBeTruthy();
    expect(($('[data-language="ar"]') as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText('Type of encounter') as HTMLSelectElement).value).toBe('traffic-stop');
  });

  test('the point-to-your-language card: each language says "I speak this language" in itself, and prints', async () => {
    await toNewScreening();
    await click(button('Point-to-your-language card'));
    await screen.findByRole('heading', { name: 'Point to your language' });
    const lines = [...document.querySelectorAll<HTMLElement>('[data-card-language]')];
    expect(lines.map((l) => l.dataset.cardLanguage)).toEqual(LANGUAGES.map((l) => l.code));
    for (const li of lines) {
      const code = li.dataset.cardLanguage as keyof typeof words;
      expect(li.getAttribute('lang')).toBe(code);
      expect(li.textContent).toContain(words[code].speakThis);
    }
    expect(lines.find((l) => l.dataset.cardLanguage === 'ar')!.getAttribute('dir')).toBe('rtl');
    const print = vi.spyOn(window, 'print').mockImplementation(() => {});
    await click(button('Print the card'));
    expect(print).toHaveBeenCalledTimes(1);
    await click(button('Back'));
    await screen.findByRole('heading', { name: 'New screening', level: 1 });
  });
});

describe('before the hand-over', () => {
  test('the officer sees that the text is unreviewed before handing the device over', async () => {
    await startIn('ar');
    const notice = $('[data-part="before-handover"]')!;
    expect(notice.textContent).toContain('Not checked by a translator');
    expect(notice.compareDocumentPosition(button('Hand the device to the person')) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  test('the source language carries no warning', async () => {
    await startIn('en');
    expect($('[data-part="translation-unreviewed"]')).toBeNull();
  });
});

describe('read aloud on the person’s screen', () => {
  test('plays the question, its answers and the stop control of the current item, in memory', async () => {
    const backend = await startIn('ar');
    await click(button('Hand the device to the person'));
    await vi.waitFor(() => expect($('[data-screen="handover"]')).toBeTruthy());
    const item = $('[data-screen="handover"]')!.dataset.itemId!;
    const listen = button(words.ar.listen);
    expect(listen.closest('[data-part="read-aloud"]')!.getAttribute('dir')).toBe('rtl');
    await click(listen);
    await vi.waitFor(() => expect(played.length).toBe(3));
    const ra = $('[data-part="read-aloud"]')!;
    expect(Number(ra.dataset.audioBytes)).toBeGreaterThan(44 * 3);
    expect(ra.dataset.audioItem).toBe(item);
    expect(backend.spoken).toEqual([
      { item, part: 'question', language: 'ar' },
      { item, part: 'answers', language: 'ar' },
      { item, part: 'stop', language: 'ar' },
    ]);
    // Played again from the same bytes: nothing new is asked of the backend.
    await vi.waitFor(() => expect(button(words.ar.listenAgain)).toBeTruthy());
    await click(button(words.ar.listenAgain));
    await vi.waitFor(() => expect(played.length).toBe(6));
    expect(backend.spoken.length).toBe(3);
    // A new item drops the old sound: its URLs are revoked, nothing is kept.
    await click($('[data-token="no"]')!);
    await vi.waitFor(() => expect($('[data-screen="handover"]')!.dataset.itemId).not.toBe(item));
    expect(revoked.sort()).toEqual(created.sort());
    expect($('[data-part="read-aloud"]')!.dataset.audioBytes).toBe('0');
  });

  test('a lock stops the sound and revokes it', async () => {
    const backend = await startIn('es');
    await click(button('Hand the device to the person'));
    await vi.waitFor(() => expect($('[data-screen="handover"]')).toBeTruthy());
    await click(button(words.es.listen));
    await vi.waitFor(() => expect(created.length).toBe(3));
    await backend.lockFromBackend();
    await vi.waitFor(() => expect($('[data-part="read-aloud"]')).toBeNull());
    expect(revoked.sort()).toEqual(created.sort());
  });

  test('a recorded question plays even without a voice for the rest', async () => {
    render(HandoverScreen, {
      session: { ...sessionIn('tl'), current: makeItem({ recorded_audio: true }) },
      busy: false,
      onanswer: vi.fn(),
      onstop: vi.fn(),
      onofficer: async () => null,
      speak: async (part: SpeakPart) => {
        if (part !== 'question') throw { kind: 'no-voice', message: 'no offline voice reads `tl` aloud' };
        return fakeWav();
      },
    });
    await click(button(words.tl.listen));
    await vi.waitFor(() => expect(played.length).toBe(1));
    expect(Number($('[data-part="read-aloud"]')!.dataset.audioBytes)).toBe(fakeWav().byteLength);
  });

  test('a language without a voice offers no listen button', async () => {
    await startIn('tl');
    await click(button('Hand the device to the person'));
    await vi.waitFor(() => expect($('[data-screen="handover"]')).toBeTruthy());
    expect($('[data-part="read-aloud"]')).toBeNull();
  });

  test('the outcome says that read aloud was used', async () => {
    await startIn('es');
    await click(button('Hand the device to the person'));
    await vi.waitFor(() => expect($('[data-screen="handover"]')).toBeTruthy());
    await click(button(words.es.listen));
    await vi.waitFor(() => expect(played.length).toBe(3));
    await click(button(words.es.stop));
    await vi.waitFor(() => expect($('[data-part="hand-back"]')).toBeTruthy());
    await click(button('Officer'));
    await fireEvent.input($('[data-field="handover-secret"]')!, { target: { value: 'correct horse battery' } });
    await click(button('Back to officer view'));
    await screen.findByRole('heading', { name: 'Screening result' });
    expect($('[data-part="read-aloud-used"]')).toBeTruthy();
  });
});

describe('the resource card in Arabic', () => {
  test('right to left, in the person’s words, with names, numbers and addresses kept left to right', async () => {
    const { default: ResourceCardScreen } = await import('../lib/ResourceCardScreen.svelte');
    render(ResourceCardScreen, {
      card: {
        language: 'ar',
        resources: [
          {
            name: 'National Human Trafficking Hotline',
            phone: '1-888-373-7888',
            text: '233733',
            url: null,
            hours: '24/7',
            description: 'مساعدة مجانية وسرية في أي وقت.',
          },
        ],
        qr: { size: 1, modules: [true], text: 'tel:18883737888' },
      },
      onback: vi.fn(),
    });
    const card = $('[data-part="card"]')!;
    expect(card.getAttribute('lang')).toBe('ar');
    expect(card.getAttribute('dir')).toBe('rtl');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(words.ar.cardTitle);
    expect(screen.getByText(words.ar.phone)).toBeTruthy();
    const phone = screen.getByText('1-888-373-7888');
    expect(phone.tagName).toBe('BDI');
    expect(phone.getAttribute('dir')).toBe('ltr');
    expect(screen.getByText('National Human Trafficking Hotline').getAttribute('lang')).toBe('en');
  });

  test('numbers and web addresses inside right-to-left words are isolated left to right', async () => {
    const { bidiRuns } = await import('../lib/labels');
    expect(bidiRuns('اتصل على الرقم 1-800-799-7233، أو thehotline.org', 'rtl')).toEqual([
      { text: 'اتصل على الرقم ', ltr: false },
      { text: '1-800-799-7233', ltr: true },
      { text: '، أو ', ltr: false },
      { text: 'thehotline.org', ltr: true },
    ]);
    expect(bidiRuns('Call 1-800-799-7233', 'ltr')).toEqual([{ text: 'Call 1-800-799-7233', ltr: false }]);
  });
});
