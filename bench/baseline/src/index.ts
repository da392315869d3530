import { ponder } from "ponder:registry";
import { rawEvent } from "ponder:schema";

const store = (name: string) =>
  async ({ event, context }: { event: any; context: any }) => {
    const args = JSON.parse(JSON.stringify(event.args, (_, v) => (typeof v === "bigint" ? v.toString() : v)));
    await context.db.insert(rawEvent).values({
      id: `${event.transaction.hash}:${event.log.logIndex}`,
      name,
      blockNumber: event.block.number,
      logIndex: event.log.logIndex,
      args,
    });
  };

ponder.on("Vault:IncreasePosition", store("IncreasePosition"));
ponder.on("Vault:UpdatePosition", store("UpdatePosition"));
ponder.on("Feed:AnswerUpdated", store("AnswerUpdated"));
