import { createTheme } from '@mantine/core';

// Required fields keep the `required` attribute (so assistive technology announces them) but no
// asterisk inside the <label>: the asterisk would become part of the label text ("Name *").
const noAsterisk = { defaultProps: { withAsterisk: false } };

/**
 * The theme takes the translated "Close" so that icon-only close buttons Mantine renders itself
 * (notifications) have an accessible name in the current language.
 */
export const createAppTheme = (closeLabel: string) =>
  createTheme({
    primaryColor: 'indigo',
    defaultRadius: 'sm',
    fontFamily:
      'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif',
    components: {
      Modal: { defaultProps: { trapFocus: true, returnFocus: true } },
      TextInput: noAsterisk,
      PasswordInput: noAsterisk,
      Textarea: noAsterisk,
      // The stepper arrows are mouse-only and unnamed; the arrow keys step the value anyway.
      NumberInput: { defaultProps: { withAsterisk: false, hideControls: true } },
      Notification: { defaultProps: { closeButtonProps: { 'aria-label': closeLabel } } },
      NativeSelect: noAsterisk,
      MultiSelect: noAsterisk,
    },
  });
