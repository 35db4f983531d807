/** `repo_map`: the ranked map of the repository (files and their definitions, most relevant first). */
import { z } from 'zod';
import { defineTool } from './tool-context.js';

export const repoMapTool = defineTool({
  name: 'repo_map',
  description: 'Map of the files most relevant to the ticket, with their definitions.',
  args: z.object({}),
  async run(_args, ctx) {
    return { ok: true, map: await ctx.repoMap() };
  },
});
