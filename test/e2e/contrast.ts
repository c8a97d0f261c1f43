// Text contrast as WCAG computes it, measured in the page on the rendered colours.
import type { Page } from '@playwright/test';

/** The lowest text contrast among the matched elements, against the nearest opaque background behind each. */
export function lowestContrast(page: Page, selector: string): Promise<{ ratio: number; text: string }> {
  return page.evaluate((sel) => {
    const rgba = (css: string) => (css.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r = 0, g = 0, b = 0]: number[]) => {
      const channel = (c: number) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const background = (element: Element | null): number[] => {
      for (let el = element; el; el = el.parentElement) {
        const color = rgba(getComputedStyle(el).backgroundColor);
        if (color.length === 3 || (color[3] ?? 0) > 0.9) return color;
      }
      return rgba(getComputedStyle(document.documentElement).backgroundColor);
    };
    let lowest = { ratio: Infinity, text: '' };
    for (const element of document.querySelectorAll(sel)) {
      const [a, b] = [luminance(rgba(getComputedStyle(element).color)), luminance(background(element))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < lowest.ratio) lowest = { ratio, text: element.textContent?.trim().slice(0, 40) ?? '' };
    }
    return lowest;
  }, selector);
}
