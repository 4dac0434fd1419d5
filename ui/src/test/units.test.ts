import { describe, expect, test, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { throttled } from '../lib/activity';
import { qrPath, QUIET } from '../lib/qr';
import QrCode from '../lib/QrCode.svelte';
import { personLabel, personWords } from '../lib/labels';

describe('QR rendering', () => {
  test('one unit square per dark module, row-major, offset by the quiet zone', () => {
    // 2x2: dark at (0,0) and (1,1).
    const d = qrPath({ size: 2, modules: [true, false, false, true], text: 't' });
    expect(d).toBe(`M${QUIET} ${QUIET}h1v1h-1zM${QUIET + 1} ${QUIET + 1}h1v1h-1z`);
  });

  test('the SVG is size + quiet zone wide, labelled, and prints the text under it', () => {
    const modules = Array.from({ length: 21 * 21 }, (_, i) => i % 3 === 0);
    render(QrCode, { qr: { size: 21, modules, text: 'Hotline tel:1-888-373-7888' }, label: 'Scan to save these contacts' });
    const svg = screen.getByRole('img', { name: 'Scan to save these contacts' });
    expect(svg.getAttribute('viewBox')).toBe(`0 0 ${21 + 2 * QUIET} ${21 + 2 * QUIET}`);
    const squares = svg.querySelector('path')!.getAttribute('d')!.match(/M/g)!.length;
    expect(squares).toBe(modules.filter(Boolean).length);
    expect(screen.getByText('Hotline tel:1-888-373-7888')).toBeTruthy();
  });
});

describe('touch throttle', () => {
  test('at most one call per interval', () => {
    let now = 0;
    const send = vi.fn();
    const t = throttled(send, 15_000, () => now);
    t();
    t();
    now = 14_999;
    t();
    expect(send).toHaveBeenCalledTimes(1);
    now = 15_000;
    t();
    expect(send).toHaveBeenCalledTimes(2);
  });
});

describe('person words', () => {
  test('Spanish and English have every word, and stop / decline are in the person\'s words', () => {
    expect(personWords('es').stop).toBe('Quiero parar');
    expect(personWords('es').declined).toBe('Prefiero no responder');
    expect(personWords('en').declined).toBe("I'd rather not answer");
    expect(Object.keys(personWords('es')).sort()).toEqual(Object.keys(personWords('en')).sort());
    expect(personWords('xx')).toBe(personWords('en'));
    expect(personLabel('yes', 'es')).toBe('Sí');
    expect(personLabel('seen', 'es')).toBeNull();
  });
});
