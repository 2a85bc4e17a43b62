# A damaged SVM churn model (issue 15, defect 9): libsvm's reader trusts
# its text (it printed "ERROR: fscanf failed to read model" and leaked, or
# read past its arrays), so crm-churn checks the text first and names the
# line of the SVM text that is wrong.  Each case damages a trained model
# in place (the length stays, so only the SVM text is wrong).
. "$TOP/tests/lib.sh"
t_use churn

# (customerID as a feature, as before ids were left out: the damage below
# is written for the text of this model)
crm-churn train -q --algo svm --model-file s.model --label-field Churn \
    --categorical customerID in/telco-like.csv

# damage NAME OLD NEW: NAME.model is s.model with its first OLD (bytes of
# the SVM text) overwritten by NEW, of the same length.
damage() {
	off=$(grep -abo -m 1 -e "$2" s.model | head -1 | cut -d: -f1)
	cp s.model "$1.model"
	printf '%s' "$3" | dd of="$1.model" bs=1 seek="$off" conv=notrunc \
	    2>/dev/null
}

t_run svm-sound 0 -- crm-churn -q --model-file s.model in/score.csv
damage svm-keyword rho rhx
damage svm-nr-class 'nr_class 2' 'nr_class x'
damage svm-nr-class-3 'nr_class 2' 'nr_class 3'
damage svm-label 'label 1 -1' 'label 1 -x'
damage svm-total 'total_sv ' 'total_sv 9'
damage svm-nr-sv 'nr_sv 2' 'nr_sv 9'
damage svm-kernel 'kernel_type rbf' 'kernel_type lin'
damage svm-value '2:1 ' '2:x '
damage svm-index ' 3:1 ' ' 0:1 '
damage svm-prob 'probB ' 'probB x'
# the last vector's newline, the file's last byte, made a space
cp s.model svm-cut.model
printf ' ' | dd of=svm-cut.model bs=1 seek=$(($(wc -c <s.model) - 1)) \
    conv=notrunc 2>/dev/null
for c in svm-keyword svm-nr-class svm-nr-class-3 svm-label svm-total \
    svm-nr-sv svm-kernel svm-value svm-index svm-prob svm-cut; do
	t_run "$c" 65 -- crm-churn -q --model-file "$c.model" in/score.csv
done
t_done
