import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';

/** The titles of the mounted pages, in the order they were set; the last one names the tab. */
const titles: Array<{ title: string }> = [];

function showTitle(product: string): void {
  const top = titles[titles.length - 1];
  document.title = top ? `${top.title} · ${product}` : product;
}

/**
 * Names the browser tab "<title> · Postvault" while the calling page is shown. When it goes, the title
 * of the page still shown (if any) comes back, so nested pages (e.g. "Page not found" inside a
 * section) restore their section's title.
 */
export function useDocumentTitle(title: string | undefined): void {
  const { t } = useTranslation();
  const product = t('app.productName');
  useEffect(() => {
    if (!title) return;
    const entry = { title };
    titles.push(entry);
    showTitle(product);
    return () => {
      const index = titles.indexOf(entry);
      if (index >= 0) titles.splice(index, 1);
      showTitle(product);
    };
  }, [title, product]);
}
