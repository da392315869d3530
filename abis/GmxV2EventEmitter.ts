// GMX v2 EventEmitter (gmx-synthetics contracts/event/EventEmitter.sol, struct in EventUtils.sol).
// Every protocol event is one of these three, named by `eventName`; the payload is read by key.

const keyed = (valueType: string) =>
  ({
    type: "tuple",
    components: [
      { name: "items", type: "tuple[]", components: [{ name: "key", type: "string" }, { name: "value", type: valueType }] },
      { name: "arrayItems", type: "tuple[]", components: [{ name: "key", type: "string" }, { name: "value", type: `${valueType}[]` }] },
    ],
  }) as const;

/** EventUtils.EventLogData: seven groups, in this order. */
export const EventLogDataComponents = [
  { name: "addressItems", ...keyed("address") },
  { name: "uintItems", ...keyed("uint256") },
  { name: "intItems", ...keyed("int256") },
  { name: "boolItems", ...keyed("bool") },
  { name: "bytes32Items", ...keyed("bytes32") },
  { name: "bytesItems", ...keyed("bytes") },
  { name: "stringItems", ...keyed("string") },
] as const;

const eventData = { name: "eventData", type: "tuple", indexed: false, components: EventLogDataComponents } as const;
const msgSender = { name: "msgSender", type: "address", indexed: false } as const;
const eventName = { name: "eventName", type: "string", indexed: false } as const;
const eventNameHash = { name: "eventNameHash", type: "string", indexed: true } as const;

export const GmxV2EventEmitterAbi = [
  { type: "event", name: "EventLog", inputs: [msgSender, eventName, eventNameHash, eventData] },
  {
    type: "event",
    name: "EventLog1",
    inputs: [msgSender, eventName, eventNameHash, { name: "topic1", type: "bytes32", indexed: true }, eventData],
  },
  {
    type: "event",
    name: "EventLog2",
    inputs: [
      msgSender,
      eventName,
      eventNameHash,
      { name: "topic1", type: "bytes32", indexed: true },
      { name: "topic2", type: "bytes32", indexed: true },
      eventData,
    ],
  },
] as const;

/** DataStore.getUint and Reader.getMarket: the only reads the adapter makes. */
export const GmxV2ReadAbi = [
  { type: "function", name: "getUint", stateMutability: "view", inputs: [{ name: "key", type: "bytes32" }], outputs: [{ type: "uint256" }] },
  { type: "function", name: "getInt", stateMutability: "view", inputs: [{ name: "key", type: "bytes32" }], outputs: [{ type: "int256" }] },
  { type: "function", name: "getBool", stateMutability: "view", inputs: [{ name: "key", type: "bytes32" }], outputs: [{ type: "bool" }] },
  { type: "function", name: "getBytes32", stateMutability: "view", inputs: [{ name: "key", type: "bytes32" }], outputs: [{ type: "bytes32" }] },
  {
    type: "function",
    name: "getMarket",
    stateMutability: "view",
    inputs: [
      { name: "dataStore", type: "address" },
      { name: "key", type: "address" },
    ],
    outputs: [
      {
        type: "tuple",
        components: [
          { name: "marketToken", type: "address" },
          { name: "indexToken", type: "address" },
          { name: "longToken", type: "address" },
          { name: "shortToken", type: "address" },
        ],
      },
    ],
  },
] as const;
