// Copies text; where the Clipboard API is refused (permissions, an insecure origin) the text is
// shown selected in a text area so the user can copy it by hand.
import { h } from './dom.js';

export async function copyText(text, fallbackParent) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h('textarea', { class: 'copy-fallback', rows: 12, readonly: true, 'aria-label': 'Text to copy' });
    area.value = text;
    fallbackParent.append(area);
    area.focus();
    area.select();
    return false;
  }
}
