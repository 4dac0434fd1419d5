import { describe, expect, test, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import axe from 'axe-core';
import TrainingApp from './TrainingApp.svelte';
import { installFakeBackend } from '../test/fakeBackend';

const $ = (css: string) => document.querySelector(css) as HTMLElement;
const screenName = () => document.querySelector('[data-screen]')?.getAttribute('data-screen') ?? null;
const itemId = () => document.querySelector('[data-item-id]')?.getAttribute('data-item-id') ?? null;

async function violations(): Promise<string[]> {
  // jsdom has no layout: contrast is checked in a real browser, not here.
  const r = await axe.run(document.body, { rules: { 'color-contrast': { enabled: false } } });
  return r.violations.map((v) => `${screenName()}: ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function step(css: string) {
  const before = `${screenName()}:${itemId()}`;
  await fireEvent.click($(css));
  await vi.waitFor(() => expect(`${screenName()}:${itemId()}`).not.toBe(before));
}

async function open() {
  installFakeBackend();
  render(TrainingApp, { onExit: () => {} });
  await screen.findByRole('heading', { name: /Choose a scenario/ });
}

async function chooseVan() {
  await step('[data-scenario="van-workers"]');
  await vi.waitFor(() => expect(($('[data-action="start-app-plays"]') as HTMLButtonElement).disabled).toBe(false));
}

describe('accessibility (axe)', () => {
  test('list, start, hand-over and observation screens', async () => {
    await open();
    const found: string[] = [];
    found.push(...(await violations()));
    await chooseVan();
    found.push(...(await violations()));
    await step('[data-action="start-trainer-plays"]');
    found.push(...(await violations()));
    await step('[data-token="no"]');
    await step('[data-token="read"]');
    expect(screenName()).toBe('training-item');
    found.push(...(await violations()));
    expect(found).toEqual([]);
  });

  test('item, notes and debrief screens in presenter mode', async () => {
    await open();
    await chooseVan();
    await fireEvent.click($('[data-action="presenter"]'));
    await step('[data-action="start-app-plays"]');
    const found: string[] = [];
    found.push(...(await violations()));
    for (const t of ['no', 'read', 'seen', 'yes', 'yes', 'declined']) await step(`[data-token="${t}"]`);
    found.push(...(await violations()));
    await step('[data-choice="paid-debt"]');
    found.push(...(await violations()));
    await fireEvent.input(screen.getByLabelText('Your notes (optional)'), { target: { value: 'The pimp held the papers.' } });
    await step('[data-action="debrief"]');
    found.push(...(await violations()));
    expect(found).toEqual([]);
  });
});
