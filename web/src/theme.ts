import { createTheme } from '@mantine/core';

// Required fields keep the `required` attribute (so assistive technology announces them) but no
// asterisk inside the <label>: the asterisk would become part of the label text ("Name *").
const noAsterisk = { defaultProps: { withAsterisk: false } };

export const theme = createTheme({
  primaryColor: 'indigo',
  defaultRadius: 'sm',
  fontFamily:
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif',
  components: {
    Modal: { defaultProps: { trapFocus: true, returnFocus: true } },
    TextInput: noAsterisk,
    PasswordInput: noAsterisk,
    Textarea: noAsterisk,
    NumberInput: noAsterisk,
    NativeSelect: noAsterisk,
    MultiSelect: noAsterisk,
  },
});
