import { mappingFromInput, requireAdmin } from '../src/api/admin-mappings.js';
import { badUserInput } from '../src/api/errors.js';
import { eventLimitsFrom } from '../src/events/validate.js';
import type { AnalyticsEvent } from '../src/events/event.js';
import { dryRunMapping, type DryRunMessage } from '../src/mappings/dry-run.js';
import { TIMESTAMP_FORMATS, type StoredMapping } from '../src/mappings/spec.js';
import { builder } from './builder.js';

const MAX_DRY_RUN_MESSAGES = 100;

const TimestampFormat = builder.enumType('TimestampFormat', {
  values: TIMESTAMP_FORMATS,
  description:
    'How a mapped timestamp is written: epoch seconds or milliseconds (numbers or numeric strings), or ISO-8601 with a time zone.',
});

const MappedTimestampInput = builder.inputType('MappedTimestampInput', {
  fields: (t) => ({
    path: t.string({ required: true, description: 'A field path such as `$.meta.ts`.' }),
    format: t.field({ type: TimestampFormat, required: true }),
  }),
});

const MappedDimensionInput = builder.inputType('MappedDimensionInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'The dimension key the value becomes.' }),
    path: t.string({ required: true }),
  }),
});

const MappingFilterInput = builder.inputType('MappingFilterInput', {
  fields: (t) => ({
    path: t.string({ required: true }),
    equals: t.string(),
    in: t.stringList(),
  }),
});

const TopicMappingInput = builder.inputType('TopicMappingInput', {
  description:
    'How the messages of an existing topic become events of your tenant. Field paths are `$` followed by `.name` and `[index]` steps (`$.user.id`, `$.items[0].sku`).',
  fields: (t) => ({
    name: t.string({ required: true, description: "The mapping's name, unique per tenant." }),
    topic: t.string({ required: true }),
    eventName: t.string({
      required: true,
      description: 'A constant event name, or a field path to it (`$.event_type`).',
    }),
    eventNamePrefix: t.string({ description: 'Put before a name read from a path.' }),
    timestamp: t.field({
      type: MappedTimestampInput,
      description: "Absent: the Kafka record's timestamp.",
    }),
    id: t.string({
      description: 'A field path to the id. Absent: a stable hash of the record position.',
    }),
    userId: t.string({ description: 'A field path.' }),
    value: t.string({ description: 'A field path to a number or a numeric string.' }),
    dimensions: t.field({ type: [MappedDimensionInput] }),
    filter: t.field({
      type: [MappingFilterInput],
      description: 'Only messages that meet every condition become events.',
    }),
  }),
});

const MappedTimestamp = builder
  .objectRef<{ path: string; format: (typeof TIMESTAMP_FORMATS)[number] }>('MappedTimestamp')
  .implement({
    fields: (t) => ({
      path: t.exposeString('path'),
      format: t.field({ type: TimestampFormat, resolve: (ts) => ts.format }),
    }),
  });

const MappedDimension = builder
  .objectRef<{ name: string; path: string }>('MappedDimension')
  .implement({
    fields: (t) => ({ name: t.exposeString('name'), path: t.exposeString('path') }),
  });

const MappingFilter = builder
  .objectRef<{ path: string; equals?: string; in?: string[] }>('MappingFilter')
  .implement({
    fields: (t) => ({
      path: t.exposeString('path'),
      equals: t.string({ nullable: true, resolve: (f) => f.equals ?? null }),
      in: t.stringList({ nullable: true, resolve: (f) => f.in ?? null }),
    }),
  });

const TopicMapping = builder.objectRef<StoredMapping>('TopicMapping').implement({
  fields: (t) => ({
    name: t.string({ resolve: (m) => m.spec.name }),
    topic: t.string({ resolve: (m) => m.spec.topic }),
    eventName: t.string({ resolve: (m) => m.spec.eventName }),
    eventNamePrefix: t.string({ nullable: true, resolve: (m) => m.spec.eventNamePrefix ?? null }),
    timestamp: t.field({
      type: MappedTimestamp,
      nullable: true,
      resolve: (m) => m.spec.timestamp ?? null,
    }),
    id: t.string({ nullable: true, resolve: (m) => m.spec.id ?? null }),
    userId: t.string({ nullable: true, resolve: (m) => m.spec.userId ?? null }),
    value: t.string({ nullable: true, resolve: (m) => m.spec.value ?? null }),
    dimensions: t.field({ type: [MappedDimension], resolve: (m) => m.spec.dimensions }),
    filter: t.field({ type: [MappingFilter], resolve: (m) => m.spec.filter }),
    updatedAt: t.field({ type: 'DateTime', resolve: (m) => m.updatedAt }),
  }),
});

const MappedEvent = builder.objectRef<AnalyticsEvent>('MappedEvent').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    timestamp: t.field({ type: 'DateTime', resolve: (e) => e.timestamp }),
    userId: t.string({ nullable: true, resolve: (e) => e.userId }),
    value: t.float({ nullable: true, resolve: (e) => e.value }),
    dimensions: t.field({ type: 'JSON', resolve: (e) => e.dimensions }),
  }),
});

const MappedMessage = builder.objectRef<DryRunMessage>('MappedMessage').implement({
  fields: (t) => ({
    index: t.exposeInt('index', { description: 'Position of the message in `messages`.' }),
    events: t.field({ type: [MappedEvent], resolve: (m) => m.events }),
    rejections: t.exposeStringList('rejections', {
      description: 'Why (elements of) the message would go to the dead-letter topic.',
    }),
    skipped: t.exposeBoolean('skipped', { description: "Left out by the mapping's filter." }),
  }),
});

builder.queryField('topicMappings', (t) =>
  t.field({
    type: [TopicMapping],
    description: "Your tenant's topic mappings (admin keys only).",
    async resolve(_root, _args, context) {
      requireAdmin(context, 'read topic mappings');
      const all = await context.services.mappings.list();
      return all.filter((mapping) => mapping.owner === context.tenant);
    },
  }),
);

builder.queryField('dryRunTopicMapping', (t) =>
  t.field({
    type: [MappedMessage],
    description:
      'The events sample messages would become under a mapping, with the reasons for those rejected. Stores nothing (admin keys only).',
    extensions: { cost: 20 },
    args: {
      mapping: t.arg({ type: TopicMappingInput, required: true }),
      messages: t.arg.stringList({
        required: true,
        description: 'Message bodies as the topic holds them.',
      }),
    },
    resolve(_root, args, context) {
      requireAdmin(context, 'dry-run topic mappings');
      if (args.messages.length > MAX_DRY_RUN_MESSAGES)
        throw badUserInput(`at most ${MAX_DRY_RUN_MESSAGES} messages per dry run`, {
          argument: 'messages',
          max: MAX_DRY_RUN_MESSAGES,
        });
      const { compiled } = mappingFromInput(context, args.mapping);
      const { fold } = context.services.config;
      return dryRunMapping(
        compiled,
        args.messages,
        {
          limits: eventLimitsFrom(fold),
          maxMessageBytes: fold.MAX_MESSAGE_BYTES,
          defaultTenant: null,
          isKnownTenant: (tenant) => tenant === context.tenant,
        },
        context.clock(),
      );
    },
  }),
);

builder.mutationField('setTopicMapping', (t) =>
  t.field({
    type: TopicMapping,
    description:
      'Stores a mapping (replacing yours of the same name). Running consumers apply it to the messages they consume from then on, and subscribe to its topic. Admin keys only.',
    extensions: { cost: 20 },
    args: { mapping: t.arg({ type: TopicMappingInput, required: true }) },
    async resolve(_root, args, context) {
      requireAdmin(context, 'set topic mappings');
      const { spec } = mappingFromInput(context, args.mapping);
      const max = context.limits.MAX_TOPIC_MAPPINGS;
      const others = (await context.services.mappings.list()).filter(
        (mapping) => mapping.owner === context.tenant && mapping.spec.name !== spec.name,
      );
      if (others.length >= max)
        throw badUserInput(`a tenant keeps at most ${max} topic mappings`, {
          argument: 'mapping',
          limit: 'MAX_TOPIC_MAPPINGS',
          max,
        });
      return context.services.mappings.put(context.tenant, spec);
    },
  }),
);

builder.mutationField('deleteTopicMapping', (t) =>
  t.field({
    type: 'Boolean',
    description: 'Removes your mapping of that name; false when there was none. Admin keys only.',
    args: { name: t.arg.string({ required: true }) },
    resolve(_root, args, context) {
      requireAdmin(context, 'delete topic mappings');
      return context.services.mappings.remove(context.tenant, args.name);
    },
  }),
);
