/**
 * Graph's mailboxes, contract sections 4 and 5: folders, messages (listing, delta, raw MIME, delete)
 * and sendMail with a JSON message or base64 MIME.
 */
import { createHash } from 'node:crypto';
import { staleDeltaToken } from './graph-directory.js';
import {
  encodedPath,
  GraphError,
  graphJson,
  listResponse,
  odataContext,
  pageResponse,
  parseSelect,
  parseTop,
  preferredMaxPageSize,
  project,
  refuseUnimplementedQueryOptions,
  type GraphContext,
  type GraphHandler,
} from './graph-common.js';
import type { FakeResponse } from './http.js';
import { guid } from './ids.js';
import { bodyText, decodeStrictBase64, headerValue, mimeRecipients, parseAddressList } from './mime.js';
import type { FakeFolder, FakeMailbox, FakeMessage, SentMail } from './model.js';
import type { DeltaPosition } from './paging.js';

/** Outlook resources page by 10 by default (contract section 4). */
const MAIL_PAGE_SIZE = 10;
const MESSAGES_MAX_TOP = 1000;
/** `$filter=receivedDateTime ge|gt` delta rounds return at most this many messages (contract section 4). */
const FILTERED_DELTA_LIMIT = 5000;

const FOLDER_PROPERTIES = [
  'id',
  'displayName',
  'parentFolderId',
  'childFolderCount',
  'unreadItemCount',
  'totalItemCount',
  'sizeInBytes',
  'isHidden',
] as const;

const MESSAGE_PROPERTIES = [
  'id',
  'createdDateTime',
  'lastModifiedDateTime',
  'changeKey',
  'categories',
  'receivedDateTime',
  'sentDateTime',
  'hasAttachments',
  'internetMessageId',
  'subject',
  'bodyPreview',
  'importance',
  'parentFolderId',
  'conversationId',
  'isDeliveryReceiptRequested',
  'isReadReceiptRequested',
  'isRead',
  'isDraft',
  'webLink',
  'inferenceClassification',
  'body',
  'sender',
  'from',
  'toRecipients',
  'ccRecipients',
  'bccRecipients',
  'replyTo',
  'flag',
] as const;

function itemNotFound(): GraphError {
  return new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
}

/** The answer headers that tell the client which `Prefer` values Graph applied. */
function preferenceApplied(context: GraphContext, pageSize?: number): Record<string, string> {
  const applied = [
    ...(pageSize !== undefined ? [`odata.maxpagesize=${pageSize}`] : []),
    ...(context.immutableIds ? ['IdType="ImmutableId"'] : []),
  ];
  return applied.length > 0 ? { 'preference-applied': applied.join(', ') } : {};
}

function folderJson(mailbox: FakeMailbox, folder: FakeFolder): Record<string, unknown> {
  const messages = mailbox.messagesIn(folder.id);
  return {
    ...(folder.search && { '@odata.type': '#microsoft.graph.mailSearchFolder' }),
    id: folder.id,
    displayName: folder.displayName,
    parentFolderId: folder.parentFolderId,
    childFolderCount: mailbox.childFolders(folder.id).length,
    unreadItemCount: messages.filter((message) => !message.isRead).length,
    totalItemCount: messages.length,
    sizeInBytes: messages.reduce((sum, message) => sum + message.raw.length, 0),
    isHidden: folder.isHidden,
    ...(folder.search && {
      isSupported: true,
      includeNestedFolders: folder.search.includeNestedFolders,
      sourceFolderIds: [...folder.search.sourceFolderIds],
      filterQuery: folder.search.filterQuery,
    }),
  };
}

function messageJson(message: FakeMessage, immutableIds: boolean): Record<string, unknown> {
  const changeKey = Buffer.from(`ck-${message.version}-${message.immutableId.slice(-12)}`).toString('base64');
  const text = bodyText(message.raw);
  const from = message.from
    ? { emailAddress: { name: message.from.name, address: message.from.address } }
    : null;
  const recipients = (header: string) =>
    parseAddressList(headerValue(message.raw, header)).map((address) => ({ emailAddress: address }));
  return {
    '@odata.etag': `W/"${changeKey}"`,
    id: immutableIds ? message.immutableId : message.restId,
    createdDateTime: message.createdDateTime,
    lastModifiedDateTime: message.lastModifiedDateTime,
    changeKey,
    categories: [],
    receivedDateTime: message.receivedDateTime,
    sentDateTime: message.sentDateTime,
    hasAttachments: message.hasAttachments,
    internetMessageId: message.internetMessageId,
    subject: message.subject,
    bodyPreview: text.replace(/\s+/g, ' ').trim().slice(0, 255),
    importance: 'normal',
    parentFolderId: message.folderId,
    conversationId: createHash('sha256').update(message.subject).digest('base64url').slice(0, 40),
    isDeliveryReceiptRequested: false,
    isReadReceiptRequested: false,
    isRead: message.isRead,
    isDraft: false,
    webLink: `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(message.restId)}`,
    inferenceClassification: 'focused',
    body: { contentType: 'text', content: text },
    sender: from,
    from,
    toRecipients: recipients('to'),
    ccRecipients: recipients('cc'),
    bccRecipients: [],
    replyTo: [],
    flag: { flagStatus: 'notFlagged' },
  };
}

function mailboxOf(context: GraphContext): FakeMailbox {
  // The server resolves the mailbox before any mailbox handler runs.
  return context.mailbox!;
}

function folderOf(context: GraphContext): FakeFolder {
  const folder = mailboxOf(context).findFolder(context.params['folder'] ?? '');
  if (!folder) throw itemNotFound();
  return folder;
}

/** `/users/{id}/mailFolders`: children of the root; hidden ones only with includeHiddenFolders=true. */
export const listMailFolders: GraphHandler = (context) =>
  listFolders(context, mailboxOf(context).rootFolderId);

/** `/users/{id}/mailFolders/{id}/childFolders`. */
export const listChildFolders: GraphHandler = (context) => listFolders(context, folderOf(context).id);

function listFolders(context: GraphContext, parentId: string): FakeResponse {
  refuseUnimplementedQueryOptions(context.request);
  const mailbox = mailboxOf(context);
  const includeHidden = context.request.query['includeHiddenFolders']?.toLowerCase() === 'true';
  const select = parseSelect(context.request, 'mailFolder', FOLDER_PROPERTIES);
  return listResponse(context, {
    odataContext: odataContext(context.deps, `users('${mailbox.user.id}')/mailFolders`),
    pageSize: parseTop(context.request, MAIL_PAGE_SIZE, 1000, 'ErrorInvalidUrlQuery'),
    items: () =>
      mailbox
        .childFolders(parentId)
        .filter((folder) => includeHidden || !folder.isHidden)
        .map((folder) => {
          const full = folderJson(mailbox, folder);
          return select ? project(full, select, ['@odata.type', 'id']) : full;
        }),
  });
}

export const getMailFolder: GraphHandler = (context) => {
  const mailbox = mailboxOf(context);
  const folder = folderOf(context);
  const select = parseSelect(context.request, 'mailFolder', FOLDER_PROPERTIES);
  const full = folderJson(mailbox, folder);
  return graphJson(200, {
    '@odata.context': odataContext(context.deps, `users('${mailbox.user.id}')/mailFolders/$entity`),
    ...(select ? project(full, select, ['@odata.type', 'id']) : full),
  });
};

function projectMessage(context: GraphContext, message: FakeMessage, select: string[] | undefined) {
  const full = messageJson(message, context.immutableIds);
  return select ? project(full, select, ['@odata.etag', 'id']) : full;
}

/**
 * `/users/{id}/mailFolders/{id}/messages?$top=1..1000`, newest first. Pages larger than the configured
 * threshold answer 504, as big pages may in Exchange (contract section 4).
 */
export const listMessages: GraphHandler = (context) => {
  refuseUnimplementedQueryOptions(context.request);
  const folder = folderOf(context);
  const pageSize = parseTop(context.request, MAIL_PAGE_SIZE, MESSAGES_MAX_TOP, 'ErrorInvalidUrlQuery');
  const limit = context.deps.messagesPageSizeGatewayTimeoutAbove;
  if (limit !== undefined && pageSize > limit)
    throw new GraphError(504, 'UnknownError', 'The request timed out.');
  const select = parseSelect(context.request, 'message', MESSAGE_PROPERTIES);
  const mailbox = mailboxOf(context);
  return listResponse(context, {
    odataContext: odataContext(
      context.deps,
      `users('${mailbox.user.id}')/mailFolders('${folder.id}')/messages`,
    ),
    pageSize,
    headers: preferenceApplied(context),
    items: () =>
      mailbox
        .messagesIn(folder.id)
        .sort((a, b) => b.receivedDateTime.localeCompare(a.receivedDateTime))
        .map((message) => projectMessage(context, message, select)),
  });
};

/** Only `receivedDateTime ge|gt <ISO date>` (contract section 4). */
function parseReceivedFilter(filter: string | undefined): DeltaPosition['receivedAfter'] {
  if (filter === undefined) return undefined;
  const match = /^\s*receivedDateTime\s+(ge|gt)\s+'?([0-9T:.+\-Z]+)'?\s*$/i.exec(filter);
  const ms = match ? Date.parse(match[2]!) : NaN;
  if (!match || Number.isNaN(ms))
    throw new GraphError(
      400,
      'ErrorInvalidUrlQueryFilter',
      'The query filter contains one or more invalid nodes.',
    );
  return { inclusive: match[1]!.toLowerCase() === 'ge', ms };
}

/**
 * `/users/{id}/mailFolders/{id}/messages/delta` (contract section 4): pages sized by
 * `Prefer: odata.maxpagesize`, nextLinks then a deltaLink; messages that left the folder come as
 * `{"@odata.type":"#microsoft.graph.message","id":..,"@removed":{"reason":"deleted"}}`.
 */
export const messagesDelta: GraphHandler = (context) => {
  const { request, deps } = context;
  refuseUnimplementedQueryOptions(request, ['$filter']);
  const mailbox = mailboxOf(context);
  const folder = folderOf(context);
  const restartPath = encodedPath(request).replace(/\?.*$/, '');
  const pageSize = preferredMaxPageSize(request) ?? MAIL_PAGE_SIZE;
  const headers = preferenceApplied(context, pageSize);
  const contextUrl = odataContext(deps, 'Collection(message)');
  const emptyPage = deps.faults.takeEmptyPage(request);
  const skipToken = request.query['$skiptoken'];
  if (skipToken !== undefined) {
    const page = deps.paging.nextPage(skipToken, emptyPage);
    if (!page) throw staleDeltaToken(context, restartPath, undefined);
    return pageResponse(contextUrl, page, headers);
  }
  let since = 0;
  let select = parseSelect(request, 'message', MESSAGE_PROPERTIES);
  let receivedAfter = parseReceivedFilter(request.query['$filter']);
  const deltaToken = request.query['$deltatoken'];
  if (deltaToken !== undefined) {
    const position = deps.paging.deltaPosition(deltaToken);
    if (
      !position ||
      position.kind !== 'messages' ||
      position.userId !== mailbox.user.id ||
      position.folderId !== folder.id
    )
      throw staleDeltaToken(
        context,
        restartPath,
        deps.paging.recordedDeltaPosition(deltaToken)?.select ?? select,
      );
    since = position.version;
    select = position.select;
    receivedAfter = position.receivedAfter;
  }
  const changes = mailbox.folderChangesSince(folder.id, since);
  let changed = changes.changed;
  if (receivedAfter) {
    changed = changed
      .filter((message) => {
        const received = Date.parse(message.receivedDateTime);
        return receivedAfter.inclusive ? received >= receivedAfter.ms : received > receivedAfter.ms;
      })
      .sort((a, b) => b.receivedDateTime.localeCompare(a.receivedDateTime))
      .slice(0, FILTERED_DELTA_LIMIT);
  }
  const items = [
    ...changed.map((message) => ({
      '@odata.type': '#microsoft.graph.message',
      ...projectMessage(context, message, select),
    })),
    ...changes.removed.map((removal) => ({
      '@odata.type': '#microsoft.graph.message',
      id: context.immutableIds ? removal.immutableId : removal.restId,
      '@removed': { reason: 'deleted' },
    })),
  ];
  const page = deps.paging.firstPage({
    items,
    pageSize,
    linkPath: restartPath,
    linkQuery: [],
    emptyPage,
    deltaEnd: {
      kind: 'messages',
      tenantId: context.tenant.id,
      version: mailbox.version,
      select,
      userId: mailbox.user.id,
      folderId: folder.id,
      ...(receivedAfter && { receivedAfter }),
    },
  });
  return pageResponse(contextUrl, page, headers);
};

function messageOf(context: GraphContext): FakeMessage {
  const message = mailboxOf(context).findMessage(context.params['message'] ?? '');
  if (!message) throw itemNotFound();
  const folderParam = context.params['folder'];
  if (folderParam !== undefined && mailboxOf(context).findFolder(folderParam)?.id !== message.folderId)
    throw itemNotFound();
  return message;
}

export const getMessage: GraphHandler = (context) => {
  const message = messageOf(context);
  const select = parseSelect(context.request, 'message', MESSAGE_PROPERTIES);
  return graphJson(
    200,
    {
      '@odata.context': odataContext(context.deps, `users('${mailboxOf(context).user.id}')/messages/$entity`),
      ...projectMessage(context, message, select),
    },
    preferenceApplied(context),
  );
};

/** `/messages/{id}/$value`: the exact RFC 822 bytes, `Content-Type: text/plain` (contract section 4). */
export const getMessageMime: GraphHandler = (context) => ({
  status: 200,
  headers: { 'content-type': 'text/plain' },
  body: messageOf(context).raw,
});

/** DELETE `/messages/{id}`: 204, the message moves to Recoverable Items. */
export const deleteMessage: GraphHandler = (context) => {
  mailboxOf(context).deleteMessage(messageOf(context).immutableId);
  return { status: 204 };
};

export const permanentlyDeleteMessage: GraphHandler = (context) => {
  mailboxOf(context).permanentlyDeleteMessage(messageOf(context).immutableId);
  return { status: 204 };
};

/** Properties Graph knows on a message; anything else in a sendMail message answers 400. */
const SENDABLE_MESSAGE_PROPERTIES = new Set([
  '@odata.type',
  'subject',
  'body',
  'toRecipients',
  'ccRecipients',
  'bccRecipients',
  'replyTo',
  'from',
  'sender',
  'attachments',
  'internetMessageHeaders',
  'importance',
  'isDeliveryReceiptRequested',
  'isReadReceiptRequested',
  'categories',
  'flag',
  'singleValueExtendedProperties',
  'multiValueExtendedProperties',
  'mentions',
]);

function bodyReadError(message: string): GraphError {
  return new GraphError(400, 'RequestBodyRead', message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A collection-valued property of the message (absent: empty). */
function collection(message: Record<string, unknown>, field: string): unknown[] {
  const value = message[field] ?? [];
  if (!Array.isArray(value)) throw bodyReadError(`'${field}' must be a collection.`);
  return value;
}

/** Validates a JSON sendMail body (contract section 5) and returns its recipients. */
function checkJsonMessage(body: unknown): {
  message: Record<string, unknown>;
  saveToSentItems: boolean;
  recipients: string[];
} {
  if (!isObject(body)) throw bodyReadError('Empty Payload. JSON content expected.');
  for (const key of Object.keys(body))
    if (key !== 'message' && key !== 'saveToSentItems')
      throw bodyReadError(
        `The parameter '${key}' in the request payload is not a valid parameter for the operation 'sendMail'.`,
      );
  const message = body['message'];
  if (!isObject(message))
    throw new GraphError(400, 'ErrorInvalidParameter', "The value of the parameter 'Message' is empty.");
  for (const key of Object.keys(message))
    if (!SENDABLE_MESSAGE_PROPERTIES.has(key))
      throw bodyReadError(
        `The property '${key}' does not exist on type 'microsoft.graph.message'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
      );
  const saveToSentItems = body['saveToSentItems'] ?? true;
  if (typeof saveToSentItems !== 'boolean')
    throw bodyReadError(
      `Cannot convert the literal '${String(saveToSentItems)}' to the expected type 'Edm.Boolean'.`,
    );
  const messageBody = message['body'];
  if (messageBody !== undefined) {
    if (!isObject(messageBody)) throw bodyReadError('Invalid body: an itemBody object was expected.');
    const contentType = messageBody['contentType'];
    if (contentType !== undefined && !['text', 'html'].includes(String(contentType).toLowerCase()))
      throw bodyReadError(`Requested value '${String(contentType)}' was not found.`);
  }
  const recipients: string[] = [];
  for (const field of ['toRecipients', 'ccRecipients', 'bccRecipients'] as const) {
    const list = message[field] ?? [];
    if (!Array.isArray(list)) throw bodyReadError(`'${field}' must be a collection of recipients.`);
    for (const recipient of list as unknown[]) {
      const address =
        isObject(recipient) && isObject(recipient['emailAddress'])
          ? recipient['emailAddress']['address']
          : undefined;
      if (typeof address !== 'string' || !address.includes('@'))
        throw new GraphError(400, 'ErrorInvalidRecipients', "At least one recipient isn't valid.");
      recipients.push(address.toLowerCase());
    }
  }
  if (recipients.length === 0)
    throw new GraphError(
      400,
      'ErrorInvalidRecipients',
      "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
    );
  for (const header of collection(message, 'internetMessageHeaders')) {
    const name = isObject(header) ? String(header['name'] ?? '') : '';
    // Graph only lets custom headers through.
    if (!/^x-/i.test(name))
      throw new GraphError(
        400,
        'InvalidInternetMessageHeader',
        `The internet message header name '${name}' should start with 'x-' or 'X-'.`,
      );
  }
  for (const attachment of collection(message, 'attachments')) {
    if (!isObject(attachment)) throw bodyReadError('Invalid attachment.');
    if (attachment['@odata.type'] === '#microsoft.graph.fileAttachment') {
      if (typeof attachment['name'] !== 'string' || typeof attachment['contentBytes'] !== 'string')
        throw new GraphError(
          400,
          'ErrorInvalidParameter',
          'A file attachment needs a name and contentBytes.',
        );
      if (!decodeStrictBase64(attachment['contentBytes']))
        throw bodyReadError(
          'The input is not a valid Base-64 string as it contains a non-base 64 character.',
        );
    }
  }
  return { message, saveToSentItems, recipients };
}

/**
 * POST `/users/{id|upn}/sendMail` (and `/me/sendMail`), contract section 5: 202 with an empty body.
 * `Content-Type: text/plain` means the body is the base64 of a whole RFC 822 message.
 */
export const sendMail: GraphHandler = (context) => {
  const { request, token, tenant } = context;
  const mailbox = mailboxOf(context);
  const contentType = String(request.headers['content-type'] ?? '').toLowerCase();
  const base = {
    tenantId: tenant.id,
    mailboxUserId: mailbox.user.id,
    mailboxUserPrincipalName: mailbox.user.userPrincipalName,
    clientId: token.clientId,
    tokenKind: token.kind,
    acceptedAt: context.deps.state.clock.now(),
    requestId: guid(),
  } satisfies Partial<SentMail>;
  let sent: SentMail;
  if (contentType.startsWith('text/plain')) {
    const mime = decodeStrictBase64(request.text);
    if (!mime)
      throw new GraphError(
        400,
        'ErrorMimeContentInvalidBase64String',
        'Invalid base64 string for MIME content.',
      );
    // An RFC 822 message starts with a header field.
    if (!/^[\x21-\x39\x3b-\x7e]+:/.test(mime.toString('latin1')))
      throw new GraphError(400, 'ErrorMimeContentInvalid', 'The MIME content is invalid.');
    const recipients = mimeRecipients(mime);
    if (recipients.length === 0)
      throw new GraphError(
        400,
        'ErrorInvalidRecipients',
        "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
      );
    sent = { ...base, format: 'mime', mime, base64: request.text, saveToSentItems: true, recipients };
  } else if (contentType.startsWith('application/json')) {
    if (request.json === undefined && request.body.length > 0)
      throw bodyReadError('Invalid JSON. The request body could not be parsed.');
    const checked = checkJsonMessage(request.json);
    sent = {
      ...base,
      format: 'json',
      message: checked.message,
      saveToSentItems: checked.saveToSentItems,
      recipients: checked.recipients,
    };
  } else {
    throw new GraphError(
      415,
      'UnsupportedMediaType',
      `Content type '${contentType}' is not supported for sendMail.`,
    );
  }
  mailbox.sent.push(sent);
  context.deps.state.sentMail.push(sent);
  return { status: 202 };
};
