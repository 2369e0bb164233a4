/* The entry points of l0sim's commands. Each takes the command's own argv (argv[0] is the
 * command name) and returns an exit code (l0_cli.h). Add a command here and in the table in
 * l0sim.c. */
#ifndef L0_CMDS_H
#define L0_CMDS_H

int l0_cmd_fx(int argc, char **argv);         /* model/l0_fx_cmd.c */
int l0_cmd_export_rtl(int argc, char **argv); /* model/l0_rtl_cmd.c */
int l0_cmd_stim(int argc, char **argv);       /* stimuli/l0_stim_cmd.c */
int l0_cmd_gen(int argc, char **argv);        /* stimuli/l0_gen_cmd.c */
int l0_cmd_validate(int argc, char **argv);   /* stimuli/l0_validate_cmd.c */
int l0_cmd_train(int argc, char **argv);      /* model/l0_train_cmd.c */
int l0_cmd_infer(int argc, char **argv);      /* model/l0_study_cmd.c */
int l0_cmd_eval(int argc, char **argv);       /* model/l0_study_cmd.c */
int l0_cmd_sweep(int argc, char **argv);      /* model/l0_study_cmd.c */
int l0_cmd_import(int argc, char **argv);     /* model/l0_import_cmd.c */
int l0_cmd_export_tb(int argc, char **argv);  /* model/l0_tb_cmd.c */

int l0_cmd_waves(int argc, char **argv);     /* sim/l0_waves_cmd.c */
int l0_cmd_rtl_infer(int argc, char **argv); /* sim/l0_rtl_infer_cmd.c */
int l0_cmd_synth(int argc, char **argv);     /* sim/l0_synth_cmd.c */
int l0_cmd_run(int argc, char **argv);       /* sim/l0_run_cmd.c */
int l0_cmd_merge(int argc, char **argv);     /* sim/l0_merge_cmd.c */

#endif
